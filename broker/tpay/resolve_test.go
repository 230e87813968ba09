package tpay_test

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
)

// A refund whose answer was lost after Tpay made it, resolved by an operator
// as done, and its CHARGEBACK notification (which names neither getpaid's
// operation nor Tpay's refund id), whichever comes first and however often
// it is sent, count the refund once.
func TestLostRefundResolvedByOperatorCountedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, _ := recordedSim(t, tpaytest.Config{})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, "resolved", getpaid.MustParseMoney("100.00", "PLN"))
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	thirty := getpaid.MustParseMoney("30.00", "PLN")
	sim.SetOperationFault(tpaytest.FaultTimeoutAfter)
	// In doubt, or done when the CHARGEBACK notification overtook the lost
	// answer: both are right.
	_, _ = f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &thirty})
	sim.SetOperationFault(tpaytest.FaultNone)
	quiet(t, sim) // Tpay's CHARGEBACK notification was delivered
	page, err := f.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if err != nil || len(page.Operations) != 1 {
		t.Fatalf("operations %+v, %v", page, err)
	}
	// The operator saw the refund in Tpay's panel. Done already (the
	// notification was linked to it) is a conflict; either way it counts once.
	_, _ = f.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: page.Operations[0].ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "ops"})
	note, err := sim.Notification(p.ID, "CHARGEBACK", thirty)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // Tpay sends it again, late
		if _, err := f.eng.HandleCallback(ctx, "tpay", note); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := f.store.Payment(ctx, p.ID)
	op, _ := f.eng.Operation(ctx, page.Operations[0].ID)
	if got.Refunded != 3000 || got.RefundAsked != 0 || got.Status != getpaid.StatusPartiallyRefunded || op.State != getpaid.OpSucceeded {
		t.Fatalf("%s refunded %d asked %d, operation %s; want partially_refunded 3000, succeeded", got.Status, got.Refunded, got.RefundAsked, op.State)
	}
}
