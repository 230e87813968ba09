package engine_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// heldFetch is the dummy broker whose first lookup of an operation after
// hold is set says so on entered, waits for release and then fails as a
// broker still away does; the others are the dummy's (the broker is back).
// (It once told them apart by whether the test was waiting on entered at
// that moment: a lookup that came first, on a loaded machine, was not held,
// and the test waited for ever.)
type heldFetch struct {
	*dummy.Broker
	hold    atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (b *heldFetch) FetchOperation(ctx context.Context, req *getpaid.OperationRequest) (*getpaid.Observation, error) {
	if b.hold.CompareAndSwap(true, false) {
		b.entered <- struct{}{}
		<-b.release
		return nil, &getpaid.BrokerError{Retryable: true, Err: fmt.Errorf("dummy: look up: connection refused: %w", getpaid.ErrUnavailable)}
	}
	return b.Broker.FetchOperation(ctx, req)
}

// An operator who has an operation checked now while the reconciler's
// check of it is already at the broker (begun while the broker was away)
// gets a check after that one: the one in flight, failing, rescheduled the
// operation at the end of its backoff step (an hour), undoing the operator's
// request though the API had answered 202 "asked within 5 s".
func TestCheckOperationDuringACheck(t *testing.T) {
	t.Parallel()
	now := &clock{}
	var held *heldFetch
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{
		Backoff: []time.Duration{time.Hour}, SubmittingAfter: time.Second}},
		func(d *dummy.Broker) getpaid.Broker {
			held = &heldFetch{Broker: d, entered: make(chan struct{}), release: make(chan struct{})}
			return held
		})
	ctx := context.Background()
	p := e.pay("o-check-during", "10.00", "paid", getpaid.StatusPaid)
	lost := e.refundLost(p, dummy.FaultTimeoutBefore, nil)
	now.Advance(2 * time.Hour) // its check is due
	held.hold.Store(true)
	done := make(chan int)
	go func() {
		n, err := e.eng.Reconcile(ctx, 10)
		if err != nil {
			t.Error(err)
		}
		done <- n
	}()
	<-held.entered // the reconciler's lookup is at the broker
	if _, err := e.eng.CheckOperation(ctx, lost.ID); err != nil {
		t.Fatal(err)
	}
	close(held.release) // that lookup fails: it began before the broker was back
	if n := <-done; n != 0 {
		t.Fatalf("the held round settled %d", n)
	}
	op, err := e.eng.Operation(ctx, lost.ID)
	if err != nil {
		t.Fatal(err)
	}
	if op.NextCheckAt.After(now.Now()) {
		t.Fatalf("after the operator's check: next check at %s, %s from now; want due now", op.NextCheckAt, op.NextCheckAt.Sub(now.Now()).Round(time.Second))
	}
	if n, err := e.eng.Reconcile(ctx, 10); err != nil || n != 1 {
		t.Fatalf("the next round: %d settled, %v; want the operation settled", n, err)
	}
}
