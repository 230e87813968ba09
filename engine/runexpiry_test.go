package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// Run expires a payment waiting past its deadline, though polling (which
// shares its claim) would also take it. Polling claims a payment for two
// minutes; with polling first, every round that finds the claim run out
// (any interval of two minutes or more, or 45 s, 50 s, ...) polled and
// claimed it again, and expiry waited until polling stops (three days).
// Only an interval dividing two minutes let expiry win, by milliseconds.
func TestRunExpiresWhatPollingWouldTake(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{NoCallbacks: true}, engine.Config{Now: now.Now, ExpireAfter: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	p, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o1", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	now.Advance(2 * time.Hour) // past the deadline, within polling's three days
	done := make(chan struct{})
	go func() { defer close(done); e.eng.Run(ctx, time.Hour) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the payment to expire", func() bool {
		q, err := e.eng.Payment(context.Background(), p.ID)
		return err == nil && q.Status == getpaid.StatusCancelled
	})
}
