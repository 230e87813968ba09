package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// The engine keeps its own copy of Config's retry schedule, as it does of
// ExpireAfterBackend: a caller reusing the slice for another engine (or a
// test tweaking it) after New changes nothing here. It used to keep the
// caller's slice, so a wait set to 0 after New (an hour when New checked it)
// retried a failing listener at once.
func TestRetryScheduleIsCopied(t *testing.T) {
	t.Parallel()
	schedule := []time.Duration{time.Hour}
	reg, _ := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: &fakeBroker{}})
	e, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay",
		RetrySchedule: schedule})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.OnEventNamed("shop", func(ctx context.Context, ev getpaid.Event) error { return errors.New("down") })
	schedule[0] = 0 // after New: the engine's schedule stays an hour
	p := create(t, e)
	ctx := context.Background()
	var next time.Time
	waitFor(t, "the failed attempt", func() bool {
		page, err := e.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, Consumer: "listener:shop"})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Deliveries {
			if d.Attempts > 0 {
				next = d.NextAt
				return true
			}
		}
		return false
	})
	if wait := time.Until(next); wait < 30*time.Minute {
		t.Fatalf("next attempt in %s, want about the hour the schedule had at New", wait)
	}
}
