package tpay_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
)

// A refund whose answer was lost, and whose CHARGEBACK did not get through,
// resolved by an operator as done (seen in Tpay's panel); then 20.00 more
// refunded in Tpay's panel. The panel refund's CHARGEBACK was refused every
// time it came (Tpay has refunded 20.00 getpaid has not recorded: the
// lookup of the resolved refund could not tell, so the notification was
// taken for possibly that refund), so it was never counted: 30.00 refunded
// where Tpay had 50.00. The one refund of 30.00 Tpay lists is the resolved
// one: the panel refund counts, the resolved one's CHARGEBACK does not.
func TestPanelRefundAfterResolvedLostRefundCounted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, _ := recordedSim(t, tpaytest.Config{})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, "resolved-panel", getpaid.MustParseMoney("100.00", "PLN"))
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	api := f.late.h
	f.late.mu.Lock()
	f.late.h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	f.late.mu.Unlock()
	thirty, twenty := getpaid.MustParseMoney("30.00", "PLN"), getpaid.MustParseMoney("20.00", "PLN")
	sim.SetOperationFault(tpaytest.FaultTimeoutAfter)
	_, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &thirty})
	sim.SetOperationFault(tpaytest.FaultNone)
	quiet(t, sim) // its CHARGEBACK was not delivered
	f.late.mu.Lock()
	f.late.h = api
	f.late.mu.Unlock()
	oe := (*getpaid.OperationError)(nil)
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund with its answer lost: %v; want it in doubt", err)
	}
	if _, err := f.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	if err := sim.Chargeback(p.ID, twenty); err != nil {
		t.Fatal(err)
	}
	quiet(t, sim)
	// The resolved refund's CHARGEBACK, late: counted already.
	note, err := sim.Notification(p.ID, "CHARGEBACK", thirty)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.HandleCallback(ctx, "tpay", note); err != nil {
		t.Fatalf("the resolved refund's CHARGEBACK: %v", err)
	}
	got, _ := f.store.Payment(ctx, p.ID)
	if got.Refunded != 5000 || got.RefundAsked != 0 || got.Status != getpaid.StatusPartiallyRefunded {
		t.Fatalf("%s refunded %d asked %d; want partially_refunded 5000 (30.00 resolved, 20.00 in the panel), as Tpay has it", got.Status, got.Refunded, got.RefundAsked)
	}
}

// As TestPanelRefundAfterResolvedLostRefundCounted, the panel refund of the
// resolved refund's very amount: Tpay lists two refunds of 20.00, and the
// panel refund's CHARGEBACK was refused on every delivery (the lookup of
// the resolved refund "cannot tell which is which"), never counted: 20.00
// refunded where Tpay had 40.00. The resolved refund's money is recorded
// and Tpay has 20.00 more: the notification counts once, whichever of the
// two it is.
func TestPanelRefundOfResolvedRefundsAmountCounted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, _ := recordedSim(t, tpaytest.Config{})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, "resolved-panel-same", getpaid.MustParseMoney("100.00", "PLN"))
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	api := f.late.h
	f.late.mu.Lock()
	f.late.h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	f.late.mu.Unlock()
	twenty := getpaid.MustParseMoney("20.00", "PLN")
	sim.SetOperationFault(tpaytest.FaultTimeoutAfter)
	_, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &twenty})
	sim.SetOperationFault(tpaytest.FaultNone)
	quiet(t, sim) // its CHARGEBACK was not delivered
	f.late.mu.Lock()
	f.late.h = api
	f.late.mu.Unlock()
	oe := (*getpaid.OperationError)(nil)
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund with its answer lost: %v; want it in doubt", err)
	}
	if _, err := f.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	if err := sim.Chargeback(p.ID, twenty); err != nil {
		t.Fatal(err)
	}
	quiet(t, sim)
	if got, _ := f.store.Payment(ctx, p.ID); got.Refunded != 4000 {
		t.Fatalf("after the panel refund's CHARGEBACK: %s refunded %d; want 4000 (20.00 resolved, 20.00 in the panel), as Tpay has it", got.Status, got.Refunded)
	}
}

// As TestPanelRefundOfResolvedRefundsAmountCounted, a refund of 20.00 asked
// for since, which Tpay lists as pending: the resolved refund's CHARGEBACK,
// delivered late, was counted as a refund made in the panel (Tpay had
// "refunded" 20.00 more than recorded, the pending refund's), 40.00
// refunded where Tpay had paid back 20.00. A refund still pending is no
// money refunded: the notification is not counted again.
func TestResolvedRefundsChargebackNotCountedForPendingRefund(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, _ := recordedSim(t, tpaytest.Config{})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, "resolved-pending-same", getpaid.MustParseMoney("100.00", "PLN"))
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	api := f.late.h
	f.late.mu.Lock()
	f.late.h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	f.late.mu.Unlock()
	twenty := getpaid.MustParseMoney("20.00", "PLN")
	sim.SetOperationFault(tpaytest.FaultTimeoutAfter)
	_, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &twenty})
	sim.SetOperationFault(tpaytest.FaultNone)
	quiet(t, sim) // its CHARGEBACK was not delivered
	f.late.mu.Lock()
	f.late.h = api
	f.late.mu.Unlock()
	oe := (*getpaid.OperationError)(nil)
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund with its answer lost: %v; want it in doubt", err)
	}
	if _, err := f.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	sim.SetRefundStatus("pending")
	if _, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &twenty}); err != nil {
		t.Fatalf("a refund Tpay answers pending: %v", err)
	}
	note, err := sim.Notification(p.ID, "CHARGEBACK", twenty)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.eng.HandleCallback(ctx, "tpay", note) // the resolved refund's, late
	if got, _ := f.store.Payment(ctx, p.ID); got.Refunded != 2000 {
		t.Fatalf("after the resolved refund's late CHARGEBACK: %s refunded %d asked %d; want 2000 (20.00 resolved; 20.00 still pending at Tpay)", got.Status, got.Refunded, got.RefundAsked)
	}
}
