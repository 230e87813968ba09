package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A release of the rest of a hold, after part of it was captured, whose
// answer was lost, is settled by the reconciler from what the dummy broker
// shows, as every other lost answer of the dummy is (the README: "about 2
// minutes in when it was not"): done when the rest is no longer held,
// failed when it still is.
func TestLostReleaseOfTheRestSettled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault string
		want  getpaid.OperationState
	}{
		{dummy.FaultTimeoutBefore, getpaid.OpFailed},
		{dummy.Fault5xx, getpaid.OpFailed},
		{dummy.FaultTimeoutAfter, getpaid.OpSucceeded},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now})
			ctx := context.Background()
			p := e.pay("o", "10.00", "pre_auth", getpaid.StatusPreAuth)
			if _, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("3.00"), IdempotencyKey: "c"}); err != nil {
				t.Fatalf("partial capture: %v", err)
			}
			_ = e.d.SetFault(tc.fault)
			_, err := e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: p.ID})
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) {
				t.Fatalf("release with a lost answer: %v", err)
			}
			_ = e.d.SetFault(dummy.FaultNone)
			var op *getpaid.Operation
			var q *getpaid.Payment
			for _, step := range []time.Duration{11 * time.Second, 30 * time.Second, 60 * time.Second, 20 * time.Second} {
				op, q, _ = e.reconcileAfter(t, now, step, oe.Op.ID, p.ID)
			}
			if op.State != tc.want {
				t.Fatalf("2 min 1 s after it began, the release is %s (last check %q), want %s", op.State, op.LastCheck, tc.want)
			}
			wantLocked := int64(700)
			if tc.want == getpaid.OpSucceeded {
				wantLocked = 0
			}
			if q.Captured != 300 || q.Locked != wantLocked {
				t.Fatalf("payment after: %s captured %d locked %d; want 300 captured, %d held", q.Status, q.Captured, q.Locked, wantLocked)
			}
		})
	}
}
