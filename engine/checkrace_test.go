package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An operator's check, an operator's resolution and the reconciler's round,
// all at once on a refund in doubt that the broker did, count its money
// once, whichever ends it.
func TestCheckResolveAndReconcileAtOnce(t *testing.T) {
	t.Parallel()
	for i := range 20 {
		now := &clock{}
		e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{
			Backoff: []time.Duration{time.Hour}, SubmittingAfter: time.Second}})
		ctx := context.Background()
		p := e.pay("o-race", "10.00", "paid", getpaid.StatusPaid)
		lost := e.refundLost(p, dummy.FaultTimeoutAfter, money("4.00")) // refunded at the broker, the answer lost
		now.Advance(2 * time.Hour)
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := e.eng.CheckOperation(ctx, lost.ID); err != nil && !errors.Is(err, getpaid.ErrConflict) {
				t.Error(err)
			}
		})
		wg.Go(func() {
			_, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: lost.ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "alice"})
			if err != nil && !errors.Is(err, getpaid.ErrConflict) {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := e.eng.Reconcile(ctx, 10); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if _, err := e.eng.Reconcile(ctx, 10); err != nil {
			t.Fatal(err)
		}
		q, err := e.eng.Payment(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		op, err := e.eng.Operation(ctx, lost.ID)
		if err != nil {
			t.Fatal(err)
		}
		if op.State != getpaid.OpSucceeded || q.Refunded != 400 || q.RefundAsked != 0 {
			t.Fatalf("run %d: operation %s, refunded %d, asked %d; want succeeded, 400 once, none asked", i, op.State, q.Refunded, q.RefundAsked)
		}
	}
}
