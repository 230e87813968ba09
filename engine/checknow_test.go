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

// An operator who knows the broker is back has an operation in doubt checked
// now rather than at the end of its backoff step: the next reconciler round
// settles it. A settled one, or an unknown id, is refused and changes
// nothing.
func TestCheckOperationNow(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{
		Backoff: []time.Duration{time.Hour}, SubmittingAfter: time.Second}})
	ctx := context.Background()
	p := e.pay("o-check", "10.00", "paid", getpaid.StatusPaid)
	lost := e.refundLost(p, dummy.FaultTimeoutBefore, nil)
	// Its first check is an hour away: a round now settles nothing.
	op, _, n := e.reconcileAfter(t, now, 2*time.Second, lost.ID, p.ID)
	if n != 0 || op.State.Final() {
		t.Fatalf("before its check: %d resolved, state %s", n, op.State)
	}
	checked, err := e.eng.CheckOperation(ctx, op.ID)
	if err != nil {
		t.Fatal(err)
	}
	if checked.NextCheckAt.After(now.Now()) || checked.Attempts != op.Attempts {
		t.Fatalf("checked: next check %s (now %s), attempts %d; want due now, attempts %d kept", checked.NextCheckAt, now.Now(), checked.Attempts, op.Attempts)
	}
	op, _, n = e.reconcileAfter(t, now, 0, op.ID, p.ID)
	if n != 1 || op.State != getpaid.OpFailed {
		t.Fatalf("the round after the check: %d resolved, state %s; want it settled (failed: the broker shows no refund)", n, op.State)
	}
	var oe *getpaid.OperationError
	if _, err := e.eng.CheckOperation(ctx, op.ID); !errors.Is(err, getpaid.ErrConflict) || !errors.As(err, &oe) || oe.Op.State != getpaid.OpFailed {
		t.Fatalf("check of a settled operation: %v, want ErrConflict naming it", err)
	}
	if _, err := e.eng.CheckOperation(ctx, "op_nope"); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("check of an unknown operation: %v, want ErrNotFound", err)
	}
}
