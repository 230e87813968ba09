package engine_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
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

// A transaction recorded as a second one of payment B before that record
// was checked against the other payments (by a release before 9decf7b)
// may be payment A's own: a refund of it naming B is refused as naming two
// payments, and does not record that B's second transaction's money went
// back.
func TestRefundOfAnotherPaymentsTransactionIsNotRecorded(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	st := memory.New()
	e := newEngine(t, fb, st)
	ctx := context.Background()
	pay := func(order string) *getpaid.Payment {
		t.Helper()
		p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: order, Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
		if err != nil {
			t.Fatal(err)
		}
		fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "paid-" + p.ID, Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true}
		if res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil || res.Outcome != getpaid.OutcomeApplied {
			t.Fatalf("paying %s: %v, %v", p.ID, res, err)
		}
		return p
	}
	a, b := pay("o-a"), pay("o-b")
	if _, err := st.UpdatePayment(ctx, b.ID, getpaid.Mutation{EventKey: "fake/second-transaction:" + a.ExternalID,
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil }}); err != nil {
		t.Fatal(err)
	}
	fb.obs = &getpaid.Observation{PaymentID: b.ID, ExternalID: a.ExternalID, EventID: "cross-refunded", Kind: getpaid.KindRefunded, Amount: a.Amount, Full: true}
	if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); !errors.Is(err, getpaid.ErrPaymentMismatch) {
		t.Fatalf("a refund naming two payments: %v, want ErrPaymentMismatch", err)
	}
	want := []getpaid.SecondTransaction{{ExternalID: a.ExternalID}}
	if got, err := e.SecondTransactions(ctx, b.ID); err != nil || !slices.Equal(got, want) {
		t.Fatalf("SecondTransactions(B) = %+v, %v; want %+v: the refund was refused", got, err, want)
	}
}
