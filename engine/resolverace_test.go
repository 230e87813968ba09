package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// Two operators resolving one operation in doubt the same way at once
// (two tabs, a script and the console): the one that comes second was
// answered 409 duplicate_event "event already applied", naming no
// operation (the resolution's fact, keyed by the operation, was refused
// as a repeat before the operation was seen to be settled), where the
// API documents conflict with the operation, as for any resolution of a
// settled operation.
func TestResolveRacingTheSameResolution(t *testing.T) {
	t.Parallel()
	for _, as := range []getpaid.OperationState{getpaid.OpSucceeded, getpaid.OpFailed} {
		t.Run(string(as), func(t *testing.T) {
			t.Parallel()
			store := &racedStore{Store: memory.New()}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: store})
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			op := e.refundLost(p, dummy.FaultTimeoutBefore, money("4.00"))
			if op.State != getpaid.OpUnknown {
				t.Fatalf("refund with a lost answer: %+v, want it in doubt", op)
			}
			var firstErr error
			store.mu.Lock()
			store.afterOperation = func() {
				_, firstErr = e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: op.ID, As: as, Note: "seen in the panel", By: "alice"})
			}
			store.mu.Unlock()
			_, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: op.ID, As: as, Note: "seen in the panel too", By: "bob"})
			if firstErr != nil {
				t.Fatalf("the first resolution: %v", firstErr)
			}
			var got *getpaid.OperationError
			if !errors.Is(err, getpaid.ErrConflict) || !errors.As(err, &got) || got.Op == nil || got.Op.State != as || got.Op.ResolvedBy != "alice" {
				t.Fatalf("the second resolution: %v; want a conflict naming the operation %s by alice", err, as)
			}
			res, err := e.eng.Payment(ctx, p.ID)
			wantRefunded := int64(0)
			if as == getpaid.OpSucceeded {
				wantRefunded = 400
			}
			if err != nil || res.Refunded != wantRefunded || res.RefundAsked != 0 {
				t.Fatalf("payment after both: %+v, %v; want %d refunded once, nothing asked", res, err, wantRefunded)
			}
		})
	}
}
