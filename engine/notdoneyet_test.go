package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An operation whose lost answer the broker shows not done, checked before
// it may be taken for failed (a request that timed out may still reach the
// broker), says so in its last check, and when it will be failed: not
// "nothing settled yet (still in progress there, or nothing to see yet)",
// which told the operator watching it (operations show, the console) that
// the broker could not tell, and left them to resolve by hand what the
// reconciler fails by itself a minute later.
func TestNotDoneYetSaysSo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		act  func(e *dummyEnv, id string) error
		pay  string
		want getpaid.Status
	}{
		{"refund", func(e *dummyEnv, id string) error {
			_, err := e.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: id, IdempotencyKey: "k"})
			return err
		}, "paid", getpaid.StatusPaid},
		{"capture", func(e *dummyEnv, id string) error {
			_, err := e.eng.Capture(context.Background(), getpaid.ActionRequest{PaymentID: id, IdempotencyKey: "k"})
			return err
		}, "pre_auth", getpaid.StatusPreAuth},
		{"release", func(e *dummyEnv, id string) error {
			_, err := e.eng.Release(context.Background(), getpaid.ActionRequest{PaymentID: id})
			return err
		}, "pre_auth", getpaid.StatusPreAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now})
			p := e.pay("o-"+tc.name, "10.00", tc.pay, tc.want)
			_ = e.d.SetFault(dummy.FaultTimeoutBefore)
			var oe *getpaid.OperationError
			if err := tc.act(e, p.ID); !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) {
				t.Fatalf("%s with a lost answer: %v", tc.name, err)
			}
			_ = e.d.SetFault(dummy.FaultNone)
			op, _, _ := e.reconcileAfter(t, now, 11*time.Second, oe.Op.ID, p.ID)
			failAt := oe.Op.CreatedAt.Add(2 * time.Minute).UTC().Format(time.RFC3339)
			if op.State != getpaid.OpUnknown || !strings.Contains(op.LastCheck, "not done") || !strings.Contains(op.LastCheck, failAt) {
				t.Fatalf("checked 11 s in: %s, last check %q; want unknown, saying the broker shows it not done and that it is failed at %s", op.State, op.LastCheck, failAt)
			}
			op, _, _ = e.reconcileAfter(t, now, 2*time.Minute, oe.Op.ID, p.ID)
			if op.State != getpaid.OpFailed || op.LastCheck != "" {
				t.Fatalf("2 min in: %s, last check %q; want failed, and no last check", op.State, op.LastCheck)
			}
		})
	}
}
