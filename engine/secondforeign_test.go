package engine_test

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A capture of payment A's own transaction that names payment B, already
// paid (a notification speaking of two payments), is refused; nor is A's
// transaction recorded as a second transaction of B, nor its refund: B's
// page of the console would ask the operator to refund A's paying
// transaction, and then say its money went back.
func TestAnotherPaymentsTransactionIsNotASecondOne(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e, _ := loggedFakeEngine(t, fb)
	ctx := context.Background()
	pay := func(order string) *getpaid.Payment {
		t.Helper()
		p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: order, Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := pay("o-a"), pay("o-b")
	send := func(id, ext, event string, kind getpaid.Kind) (*getpaid.CallbackResult, error) {
		fb.obs = &getpaid.Observation{PaymentID: id, ExternalID: ext, EventID: event, Kind: kind, Amount: a.Amount, Full: true}
		return e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
	}
	for _, p := range []*getpaid.Payment{a, b} {
		if res, err := send(p.ID, p.ExternalID, "paid-"+p.ID, getpaid.KindCaptured); err != nil || res.Outcome != getpaid.OutcomeApplied {
			t.Fatalf("paying %s: %v, %v", p.ID, res, err)
		}
	}
	if _, err := send(b.ID, a.ExternalID, "cross-paid", getpaid.KindCaptured); err == nil {
		t.Fatal("a capture naming two payments was taken")
	}
	if _, err := send(b.ID, a.ExternalID, "cross-refunded", getpaid.KindRefunded); err == nil {
		t.Fatal("a refund naming two payments was taken")
	}
	if got, err := e.SecondTransactions(ctx, b.ID); err != nil || len(got) != 0 {
		t.Fatalf("SecondTransactions(B) = %+v, %v; want none: %s is A's", got, err, a.ExternalID)
	}
}
