package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// stoppedFetch is the dummy broker whose lookups of an operation, while
// hold is set, say so on entered and wait for their context to end (a
// graceful stop cuts them off); the others are the dummy's.
type stoppedFetch struct {
	*dummy.Broker
	mu      sync.Mutex
	hold    bool
	entered chan struct{}
}

func (b *stoppedFetch) FetchOperation(ctx context.Context, req *getpaid.OperationRequest) (*getpaid.Observation, error) {
	b.mu.Lock()
	hold := b.hold
	b.hold = false
	b.mu.Unlock()
	if hold {
		close(b.entered)
		<-ctx.Done()
		return nil, &getpaid.BrokerError{Op: "dummy: look up", Retryable: true, Err: ctx.Err()}
	}
	return b.Broker.FetchOperation(ctx, req)
}

// Operations in doubt that a reconciler round had claimed when the server
// was stopped gracefully (its check of one cut off, the others not yet
// asked about) are given back: the server started next checks them in its
// first round. They stayed claimed for 5 minutes, the doubt resolved that
// much late after every restart.
func TestStopGivesBackClaimedOperations(t *testing.T) {
	t.Parallel()
	now := &clock{}
	var held *stoppedFetch
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{SubmittingAfter: time.Second}},
		func(d *dummy.Broker) getpaid.Broker {
			held = &stoppedFetch{Broker: d, entered: make(chan struct{})}
			return held
		})
	var lost []*getpaid.Operation
	for _, order := range []string{"o-stop-1", "o-stop-2"} {
		p := e.pay(order, "10.00", "paid", getpaid.StatusPaid)
		lost = append(lost, e.refundLost(p, dummy.FaultTimeoutBefore, nil))
	}
	now.Advance(time.Hour) // both are due, past SubmittingAfter
	held.mu.Lock()
	held.hold = true
	held.mu.Unlock()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = e.eng.Reconcile(ctx, 10)
	}()
	<-held.entered // the first check is at the broker
	stop()         // SIGTERM
	<-done
	for _, l := range lost {
		op, err := e.eng.Operation(context.Background(), l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if op.State != getpaid.OpUnknown || op.Attempts != l.Attempts {
			t.Errorf("after the stop: %s %s, %d checks; want unknown, %d checks", op.ID, op.State, op.Attempts, l.Attempts)
		}
		if op.NextCheckAt.After(now.Now()) {
			t.Errorf("after the stop: %s next checked in %s; want due now", op.ID, op.NextCheckAt.Sub(now.Now()).Round(time.Second))
		}
	}
	next := e.another(now.Now) // the server started next
	if n, err := next.Reconcile(context.Background(), 10); err != nil || n != 2 {
		t.Fatalf("the next server's first round: %d settled, %v; want both", n, err)
	}
}
