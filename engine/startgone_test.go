package engine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// abandonedPrepare is the dummy broker whose first Prepare answers only
// once its caller's context has ended or the test releases it, whichever
// comes first (a broker's HTTP call is cut short when its context ends);
// later ones answer at once.
type abandonedPrepare struct {
	*dummy.Broker
	calls   atomic.Int64
	release chan struct{}
}

func (a *abandonedPrepare) Prepare(ctx context.Context, req *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	if a.calls.Add(1) == 1 {
		select {
		case <-ctx.Done():
			return nil, &getpaid.BrokerError{Op: "dummy: prepare", Retryable: true, Happened: true, Err: ctx.Err()}
		case <-a.release:
		}
	}
	return a.Broker.Prepare(ctx, req)
}

// A Start that joins one in flight (a double click, a client retrying
// after its own timeout) is not failed by the first caller going away:
// the first Start's broker call is not cut short with its caller, its
// answer is recorded, and the joined Start, whose caller still waits, gets
// the payment prepared, the broker asked once (PayU would refuse a second
// order for the payment: TestStartOutlivesItsCallerAtPayU).
func TestStartJoinedOutlivesTheFirstCaller(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		end  func(cancel context.CancelFunc)
	}{
		{"cancelled", func(cancel context.CancelFunc) { cancel() }},
		{"deadline", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ab := &abandonedPrepare{release: make(chan struct{})}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { ab.Broker = d; return ab })
			p, err := e.eng.Create(context.Background(), getpaid.PayRequest{OrderID: "o-gone", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			var first context.Context
			var cancel context.CancelFunc
			if tt.end == nil {
				first, cancel = context.WithTimeout(context.Background(), 400*time.Millisecond)
			} else {
				first, cancel = context.WithCancel(context.Background())
			}
			defer cancel()
			firstErr := make(chan error, 1)
			go func() { _, err := e.eng.Start(first, p.ID, ""); firstErr <- err }()
			waitFor(t, "the first Prepare", func() bool { return ab.calls.Load() == 1 })
			type answer struct {
				p   *getpaid.Payment
				err error
			}
			second := make(chan answer, 1)
			go func() { q, err := e.eng.Start(context.Background(), p.ID, ""); second <- answer{q, err} }()
			time.Sleep(200 * time.Millisecond) // the second joins the first, at the broker
			if tt.end != nil {
				tt.end(cancel)
			}
			<-first.Done()
			time.Sleep(100 * time.Millisecond) // a broker call cut short with its caller would have ended by now
			close(ab.release)                  // the broker answers the call the first Start sent
			if err := <-firstErr; err != nil {
				t.Fatalf("the first Start: %v, want the payment prepared (its broker call outlives its caller)", err)
			}
			a := <-second
			if a.err != nil || a.p.Status != getpaid.StatusPrepared || a.p.Redirect == nil {
				t.Fatalf("the joined Start, whose caller still waited: %+v, %v; want the payment prepared", a.p, a.err)
			}
			if n := ab.calls.Load(); n != 1 {
				t.Fatalf("Prepare called %d times, want 1", n)
			}
		})
	}
}
