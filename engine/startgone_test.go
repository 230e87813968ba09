package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// abandonedPrepare is the dummy broker whose first Prepare lasts until its
// caller goes away, as a broker's HTTP call does when the request behind it
// is cancelled; later ones answer at once.
type abandonedPrepare struct {
	*dummy.Broker
	calls atomic.Int64
}

func (a *abandonedPrepare) Prepare(ctx context.Context, req *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	if a.calls.Add(1) == 1 {
		<-ctx.Done()
		return nil, &getpaid.BrokerError{Op: "dummy: prepare", Retryable: true, Happened: true, Err: ctx.Err()}
	}
	return a.Broker.Prepare(ctx, req)
}

// A Start that joins one in flight (a double click, a client retrying
// after its own timeout) is not failed by the first caller going away:
// the first request's cancellation is its own, and the joined Start,
// whose caller still waits, starts the payment itself.
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
			ab := &abandonedPrepare{}
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
			if err := <-firstErr; !errors.Is(err, first.Err()) {
				t.Fatalf("the first Start: %v, want its own context's error", err)
			}
			a := <-second
			if a.err != nil || a.p.Status != getpaid.StatusPrepared || a.p.Redirect == nil {
				t.Fatalf("the joined Start, whose caller still waited: %+v, %v; want the payment prepared", a.p, a.err)
			}
			if n := ab.calls.Load(); n != 2 {
				t.Fatalf("Prepare called %d times, want 2 (the abandoned one, then the joined Start's)", n)
			}
		})
	}
}
