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

// A retry is attempted when it falls due, not at the dispatcher's next
// once-a-second look for due deliveries: with a schedule of seconds (a test
// endpoint's shortened one) each retry would otherwise come up to a second
// late, and a delivery would go dead seconds after its schedule says.
func TestRetryAttemptedWhenDue(t *testing.T) {
	t.Parallel()
	const wait = 1200 * time.Millisecond
	e := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: []time.Duration{wait, wait}})
	var mu sync.Mutex
	var at []time.Time
	e.eng.OnEventNamed("shop", func(ctx context.Context, ev getpaid.Event) error {
		if ev.Type != getpaid.EventStatusChanged || ev.To != getpaid.StatusPaid {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		at = append(at, time.Now())
		if len(at) < 3 {
			return errors.New("shop database down")
		}
		return nil
	})
	e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	waitFor(t, "the third attempt", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(at) == 3
	})
	mu.Lock()
	defer mu.Unlock()
	// The schedule's wait, its jitter (up to a tenth more), and room for
	// a slow machine: far less than the second a tick could add.
	limit := wait + wait/10 + 400*time.Millisecond
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < wait || gap > limit {
			t.Errorf("retry %d came %v after the attempt before, want %v to %v", i, gap, wait, limit)
		}
	}
}
