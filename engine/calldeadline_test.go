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

// slowRefunds is the dummy broker whose refund call runs until its context
// ends (a broker answering slowly: an OAuth token fetched, a 401, the token
// fetched again, each request under its own HTTP timeout), then reports
// that the refund may have happened, as an HTTP client cut off mid-request
// does.
type slowRefunds struct {
	*dummy.Broker
	release chan struct{}
}

func (s *slowRefunds) Refund(ctx context.Context, _ *getpaid.RefundRequest) (*getpaid.Observation, error) {
	select {
	case <-ctx.Done():
		return nil, &getpaid.BrokerError{Op: "slow: refund", Retryable: true, Happened: true, Err: ctx.Err()}
	case <-s.release:
		return nil, &getpaid.BrokerError{Op: "slow: refund", Retryable: true, Happened: true, Err: errors.New("released by the test")}
	}
}

// A money operation's broker call ends, in doubt, well before
// ReconcileConfig.SubmittingAfter: from then on the reconciler takes an
// operation still submitting for one whose process died, and "nothing
// done" at the broker for failed, so a call still running then could
// refund after its reservation was given back. The call had no bound of
// its own but the backend's per-request HTTP timeout, which a call of
// several requests (a token, a retry) or a library backend with a long
// timeout outlasts.
func TestOperationCallEndsBeforeItIsTakenForLost(t *testing.T) {
	t.Parallel()
	s := &slowRefunds{release: make(chan struct{})}
	t.Cleanup(func() { close(s.release) })
	const after = 600 * time.Millisecond
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Reconcile: engine.ReconcileConfig{SubmittingAfter: after}},
		func(d *dummy.Broker) getpaid.Broker { s.Broker = d; return s })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	type answer struct {
		took time.Duration
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		start := time.Now()
		_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
		done <- answer{time.Since(start), err}
	}()
	select {
	case a := <-done:
		if !errors.Is(a.err, getpaid.ErrOperationInDoubt) {
			t.Fatalf("refund cut off: %v; want it in doubt", a.err)
		}
		if a.took >= after {
			t.Fatalf("the call ran %s, want it ended before SubmittingAfter (%s)", a.took, after)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the broker call still runs 5 s on, past SubmittingAfter: the reconciler would take it for lost")
	}
}
