package engine_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// hintErr is a consumer failure that says more, the way a webhook answer
// does: gone (HTTP 410) or when to try again (Retry-After).
type hintErr struct {
	gone  bool
	after time.Duration
}

func (e hintErr) Error() string             { return "consumer failed" }
func (e hintErr) Gone() bool                { return e.gone }
func (e hintErr) RetryAfter() time.Duration { return e.after }

// wrapped wraps err the way a consumer's package adds its context.
func wrapped(err error) error { return fmt.Errorf("webhook: %w", err) }

// A consumer that says it is gone (a webhook endpoint answering 410 Gone,
// which the Standard Webhooks specification says means "stop sending") gets
// no retries: the delivery is dead after that one attempt, for an operator
// to replay if the endpoint wants it after all.
func TestGoneConsumerDeadAtOnce(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	e := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: fast})
	e.eng.OnEventNamed("gone", func(ctx context.Context, ev getpaid.Event) error {
		calls.Add(1)
		return wrapped(hintErr{gone: true})
	})
	dead := createAndWaitDead(t, e, "o-gone")
	time.Sleep(5 * fast[0])
	if dead[0].Attempts != 1 || calls.Load() != 1 {
		t.Fatalf("dead after %d attempts, %d calls; want 1 (a gone consumer is not retried)", dead[0].Attempts, calls.Load())
	}
}

// A consumer's failure that asks for a later retry (a webhook answer's
// Retry-After) puts the next attempt no sooner than it asks, but no later
// than the schedule's longest wait; without one the schedule's wait holds,
// plus at most a tenth of it as jitter, so the retries of many deliveries
// that failed together do not all arrive together.
func TestRetryAfterAndJitter(t *testing.T) {
	t.Parallel()
	schedule := []time.Duration{time.Minute, 2 * time.Hour}
	for _, tc := range []struct {
		name        string
		after       time.Duration
		least, most time.Duration
	}{
		{"no hint", 0, time.Minute, time.Minute + 6*time.Second},
		{"sooner than the schedule", time.Second, time.Minute, time.Minute + 6*time.Second},
		{"later than the schedule", time.Hour, time.Hour, time.Hour + 6*time.Minute},
		{"past the longest wait", 30 * time.Hour, 2 * time.Hour, 2*time.Hour + 12*time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: schedule})
			e.eng.OnEventNamed("busy", func(ctx context.Context, ev getpaid.Event) error {
				return wrapped(hintErr{after: tc.after})
			})
			ctx := context.Background()
			p, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-later", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			var d *getpaid.Delivery
			waitFor(t, "the first attempt recorded", func() bool {
				page, _ := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID})
				if len(page.Deliveries) == 0 || page.Deliveries[0].Attempts == 0 {
					return false
				}
				d = page.Deliveries[0]
				return true
			})
			atts, err := e.eng.Attempts(ctx, d.ID)
			if err != nil || len(atts) != 1 {
				t.Fatalf("attempts %+v, %v", atts, err)
			}
			end := atts[0].At.Add(atts[0].Duration)
			if wait := d.NextAt.Sub(end); wait < tc.least-time.Second || wait > tc.most+time.Second {
				t.Fatalf("next attempt %v after the first ended; want %v to %v", wait, tc.least, tc.most)
			}
		})
	}
}

// The default retry schedule is the Standard Webhooks specification's
// example table, which the "about three days" quotes: at once, then
// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (75 h 35 min), so
// an endpoint down over a weekend still gets its events.
func TestDefaultScheduleSpansThreeDays(t *testing.T) {
	t.Parallel()
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
		10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}
	got := engine.DefaultSchedule()
	var total time.Duration
	for _, d := range got {
		total += d
	}
	if !slices.Equal(got, want) || total != 75*time.Hour+35*time.Minute+5*time.Second {
		t.Fatalf("DefaultSchedule() = %v (%v in all), want %v", got, total, want)
	}
}

// createAndWaitDead creates a payment for order (whose created event goes to
// the env's one listener) and waits for that delivery to be dead.
func createAndWaitDead(t *testing.T, e *dummyEnv, order string) []*getpaid.Delivery {
	t.Helper()
	ctx := context.Background()
	p, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: order, Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	var dead []*getpaid.Delivery
	waitFor(t, "the delivery to die", func() bool {
		page, _ := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, State: getpaid.DeliveryDead})
		dead = page.Deliveries
		return len(dead) == 1
	})
	return dead
}
