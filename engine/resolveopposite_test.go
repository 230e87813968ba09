package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// listedStore runs afterOperations once, after the first listing of
// operations read once armed: an operator's resolution that has read the
// payment and its refunds under way, about to write.
type listedStore struct {
	getpaid.Store
	mu              sync.Mutex
	afterOperations func()
}

func (s *listedStore) Operations(ctx context.Context, f getpaid.OperationFilter) (*getpaid.OperationPage, error) {
	page, err := s.Store.Operations(ctx, f)
	s.mu.Lock()
	g := s.afterOperations
	s.afterOperations = nil
	s.mu.Unlock()
	if g != nil {
		g()
	}
	return page, err
}

// Two operators resolving one refund in doubt the opposite ways at once:
// the one that came second was told "the payment changed while the refund
// was being resolved; resolve it again", naming the refund still in doubt,
// though the other had settled it (and resolving it again is refused as
// settled). It is told that the refund is settled, and by whom, as a
// second resolution the same way is (TestResolveRacingTheSameResolution);
// the money counts the first decision once.
func TestResolveRacingTheOppositeResolution(t *testing.T) {
	t.Parallel()
	for _, first := range []getpaid.OperationState{getpaid.OpSucceeded, getpaid.OpFailed} {
		t.Run("first "+string(first), func(t *testing.T) {
			t.Parallel()
			second := getpaid.OpFailed
			if first == getpaid.OpFailed {
				second = getpaid.OpSucceeded
			}
			store := &listedStore{Store: memory.New()}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: store})
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			op := e.refundLost(p, dummy.FaultTimeoutBefore, money("4.00"))
			if op.State != getpaid.OpUnknown {
				t.Fatalf("refund with a lost answer: %+v, want it in doubt", op)
			}
			var firstErr error
			store.mu.Lock()
			store.afterOperations = func() {
				_, firstErr = e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: op.ID, As: first, Note: "seen in the panel", By: "alice"})
			}
			store.mu.Unlock()
			_, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: op.ID, As: second, Note: "not in the panel", By: "bob"})
			if firstErr != nil {
				t.Fatalf("the first resolution: %v", firstErr)
			}
			var got *getpaid.OperationError
			if !errors.Is(err, getpaid.ErrConflict) || !errors.As(err, &got) || got.Op == nil || got.Op.State != first || got.Op.ResolvedBy != "alice" {
				t.Fatalf("the second resolution: %v (%+v); want a conflict naming the operation %s by alice", err, got, first)
			}
			res, err := e.eng.Payment(ctx, p.ID)
			wantRefunded := int64(0)
			if first == getpaid.OpSucceeded {
				wantRefunded = 400
			}
			if err != nil || res.Refunded != wantRefunded || res.RefundAsked != 0 {
				t.Fatalf("payment after both: %+v, %v; want %d refunded once, nothing asked", res, err, wantRefunded)
			}
		})
	}
}
