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

// A refund whose answer was lost and that the broker shows not done is
// failed once SubmittingAfter has passed since it began (a request still on
// its way could land before), and at that time: the check after the one
// that found it not done too early falls due then, not a whole backoff
// step later. With the default steps (10 s, 30 s, 1 min, 5 min) the refund
// was failed about 7 minutes in, not 2, and its money stayed reserved
// (refund_started) meanwhile.
func TestUndoneRefundFailedWhenItMayBe(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now})
	ctx := context.Background()
	p := e.pay("o-undone", "10.00", "paid", getpaid.StatusPaid)
	_ = e.d.SetFault(dummy.FaultTimeoutBefore)
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) {
		t.Fatalf("refund with a lost answer: %v", err)
	}
	_ = e.d.SetFault(dummy.FaultNone)
	// Checks at 11 s, 41 s and 1 min 41 s find it not done, too early to
	// say failed; the next is due at 2 min.
	var op *getpaid.Operation
	for _, step := range []time.Duration{11 * time.Second, 30 * time.Second, 60 * time.Second, 20 * time.Second} {
		op, _, _ = e.reconcileAfter(t, now, step, oe.Op.ID, p.ID)
	}
	if op.State != getpaid.OpFailed {
		t.Fatalf("2 min 1 s after it began, the refund the broker shows not done is %s (next check %s from now), want failed",
			op.State, op.NextCheckAt.Sub(now.Now()).Round(time.Second))
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Status != getpaid.StatusPaid || q.RefundAsked != 0 {
		t.Fatalf("payment after: %s, refund asked %d", q.Status, q.RefundAsked)
	}
}
