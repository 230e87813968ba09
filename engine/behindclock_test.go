package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/sqlite"
)

// An engine whose clock is behind the wall clock (Config.Now set to a day
// in the past, as a shop's tests pin it) had a failed delivery's retry
// wait on the memory store until its clock reached the wall time of the
// failure: the store ended the attempt's lease at its own clock's "now",
// which claims, made at the engine's clock, saw as still running. The
// lease ends when the attempt is recorded, whatever the clocks say, as on
// SQLite and PostgreSQL.
func TestRetryDueWithAClockBehind(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) getpaid.Store
	}{
		{"memory", func(*testing.T) getpaid.Store { return memory.New() }},
		{"sqlite", func(t *testing.T) getpaid.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "getpaid.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			retryWithAClockBehind(t, tc.store(t))
		})
	}
}

func retryWithAClockBehind(t *testing.T, store getpaid.Store) {
	var calls atomic.Int32
	listener := engine.ListenerConsumer("shop", func(ctx context.Context, ev getpaid.Event) error {
		if calls.Add(1) == 1 {
			return errors.New("shop database down")
		}
		return nil
	})
	e := newEngineConfig(t, &fakeBroker{}, engine.Config{Store: store, Consumers: []engine.Consumer{listener},
		RetrySchedule: []time.Duration{20 * time.Millisecond},
		Now:           func() time.Time { return time.Now().Add(-24 * time.Hour) }})
	create(t, e)
	within(t, 10*time.Second, "the retry", func() bool { return calls.Load() >= 2 })
}
