package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A fraud review's outcome is recorded through the engine (django-getpaid's
// scenario 16): review puts it in check, accept or reject from unknown or
// check, and any other move is refused and changes nothing. The payment's
// status and money stay as they are.
func TestSetFraud(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		moves []getpaid.FraudStatus // the last one is the move tested
		ok    bool
	}{
		{"review", []getpaid.FraudStatus{getpaid.FraudCheck}, true},
		{"accept after review", []getpaid.FraudStatus{getpaid.FraudCheck, getpaid.FraudAccepted}, true},
		{"reject after review", []getpaid.FraudStatus{getpaid.FraudCheck, getpaid.FraudRejected}, true},
		{"accept from unknown", []getpaid.FraudStatus{getpaid.FraudAccepted}, true},
		{"reject from unknown", []getpaid.FraudStatus{getpaid.FraudRejected}, true},
		{"reject after accept", []getpaid.FraudStatus{getpaid.FraudAccepted, getpaid.FraudRejected}, false},
		{"review after reject", []getpaid.FraudStatus{getpaid.FraudRejected, getpaid.FraudCheck}, false},
		{"back to unknown", []getpaid.FraudStatus{getpaid.FraudCheck, getpaid.FraudUnknown}, false},
		{"no such status", []getpaid.FraudStatus{"maybe"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{})
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			last := len(tc.moves) - 1
			for _, to := range tc.moves[:last] {
				if _, err := e.eng.SetFraud(ctx, p.ID, to); err != nil {
					t.Fatalf("set %q: %v", to, err)
				}
			}
			before, _ := e.eng.Payment(ctx, p.ID)
			got, err := e.eng.SetFraud(ctx, p.ID, tc.moves[last])
			after, _ := e.eng.Payment(ctx, p.ID)
			if !tc.ok {
				if !errors.Is(err, getpaid.ErrForbiddenTransition) || after.Fraud != before.Fraud || after.Version != before.Version {
					t.Fatalf("set %q from %q: %v, now %q; want it refused, nothing changed", tc.moves[last], before.Fraud, err, after.Fraud)
				}
				return
			}
			if err != nil || got.Fraud != tc.moves[last] || after.Fraud != tc.moves[last] {
				t.Fatalf("set %q: %+v, %v; stored %q", tc.moves[last], got, err, after.Fraud)
			}
			if after.Status != getpaid.StatusPaid || after.Captured != 1000 {
				t.Fatalf("after the review: %s with %d captured; want it paid as before", after.Status, after.Captured)
			}
			// The same outcome again changes nothing.
			if again, err := e.eng.SetFraud(ctx, p.ID, tc.moves[last]); err != nil || again.Version != after.Version {
				t.Fatalf("set %q again: %+v, %v; want a no-op", tc.moves[last], again, err)
			}
		})
	}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	if _, err := e.eng.SetFraud(context.Background(), "pay_nope", getpaid.FraudCheck); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("unknown payment: %v, want ErrNotFound", err)
	}
}
