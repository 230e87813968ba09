package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A refund of a hold captured in part (the rest still held) is refused
// for the hold, whatever the amount: a refund of more than was captured
// was told "at most 3.00 PLN can be refunded", though a refund of 3.00 is
// refused too, the rest being still held.
func TestRefundWhilePartOfTheHoldIsHeld(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	p := e.pay("o", "10.00", "pre_auth", getpaid.StatusPreAuth)
	if _, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("3.00"), IdempotencyKey: "c"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		amount *getpaid.Money
	}{
		{"the rest", nil},
		{"part of what was captured", money("1.00")},
		{"all that was captured", money("3.00")},
		{"more than was captured", money("3.01")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: tc.amount, IdempotencyKey: "r " + tc.name})
			var te *getpaid.TransitionError
			if !errors.As(err, &te) || !strings.Contains(te.Reason, "still held") {
				t.Fatalf("refund: %v; want it refused because the rest is still held", err)
			}
		})
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Status != getpaid.StatusPreAuth || q.RefundAsked != 0 || q.Captured != 300 || q.Locked != 700 {
		t.Fatalf("payment %s captured %d locked %d asked %d; want it unchanged", q.Status, q.Captured, q.Locked, q.RefundAsked)
	}
}
