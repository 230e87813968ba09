package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// answerErr is a webhook endpoint's failed answer as the engine reads it.
type answerErr struct {
	status int
	after  time.Duration
}

func (a *answerErr) Error() string             { return fmt.Sprintf("answered %d", a.status) }
func (a *answerErr) Gone() bool                { return a.status == 410 }
func (a *answerErr) Throttled() bool           { return a.status == 429 || a.status == 502 || a.status == 504 }
func (a *answerErr) RetryAfter() time.Duration { return a.after }
func newAnswer(status int, after time.Duration) error {
	return &answerErr{status: status, after: after}
}

// endpoint is a consumer answering what its script says, in order, then
// 200; it keeps when each attempt began.
type endpoint struct {
	mu     sync.Mutex
	script []error
	at     []time.Time
	got    map[string]bool
}

func (ep *endpoint) Name() string { return "webhook:https://shop.example/hook" }

func (ep *endpoint) Deliver(_ context.Context, ev getpaid.Event) (int, error) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.at = append(ep.at, time.Now())
	if len(ep.script) > 0 {
		err := ep.script[0]
		ep.script = ep.script[1:]
		var a *answerErr
		errors.As(err, &a)
		return a.status, err
	}
	if ep.got == nil {
		ep.got = map[string]bool{}
	}
	ep.got[ev.ID] = true
	return 200, nil
}

func (ep *endpoint) attempts() []time.Time {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]time.Time(nil), ep.at...)
}

func (ep *endpoint) delivered(id string) bool {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ep.got[id]
}

// An endpoint answering 429, 502 or 504 asks to be sent less: the
// dispatcher sends it nothing more for the answer's Retry-After (or, without
// one, the schedule's first wait, at least a second), other payments' events included, instead
// of going on at up to 64 requests at once. Then everything arrives.
func TestThrottledEndpointPaused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		after  time.Duration
		first  time.Duration // the schedule's first wait
		pause  time.Duration
	}{
		{429, 400 * time.Millisecond, 300 * time.Millisecond, 400 * time.Millisecond},
		{502, 0, 300 * time.Millisecond, 300 * time.Millisecond},
		{504, 0, 300 * time.Millisecond, 300 * time.Millisecond},
		// A schedule retrying at once gives no pause: "send less" still
		// gets a second, not a flood of immediate attempts.
		{429, 0, 0, time.Second},
	} {
		t.Run(fmt.Sprint(tc.status, "/", tc.first), func(t *testing.T) {
			t.Parallel()
			ep := &endpoint{script: []error{newAnswer(tc.status, tc.after)}}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Consumers: []engine.Consumer{ep},
				RetrySchedule: []time.Duration{tc.first, time.Second}})
			ctx := context.Background()
			first, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-first", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the first attempt", func() bool { return len(ep.attempts()) == 1 })
			throttled := ep.attempts()[0]
			// The pause begins once the answer is read, after the attempt
			// began: events written before that are sent at once (they may
			// be in flight already). Under load the test's next creates
			// came first (an attempt 18 ms after, in CI).
			waitFor(t, "the pause", func() bool { return len(e.eng.Paused()) == 1 || time.Since(throttled) >= tc.pause })
			var ids []string
			for i := range 5 {
				p, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: fmt.Sprint("o-", i), Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, "evt_created_"+p.ID)
			}
			waitFor(t, "every event", func() bool {
				for _, id := range append(ids, "evt_created_"+first.ID) {
					if !ep.delivered(id) {
						return false
					}
				}
				return true
			})
			for _, at := range ep.attempts()[1:] {
				if gap := at.Sub(throttled); gap < tc.pause-20*time.Millisecond {
					t.Fatalf("an attempt %s after the %d answer, want none within %s", gap.Round(time.Millisecond), tc.status, tc.pause)
				}
			}
		})
	}
}

// An endpoint answering 410 Gone wants no more webhooks: that delivery is
// dead, and the endpoint is sent nothing more, later events included (they
// stay pending), for an hour or until an operator replays (the 410 was a
// mistake); the replay sends what waited too.
func TestGoneEndpointStopped(t *testing.T) {
	t.Parallel()
	ep := &endpoint{script: []error{newAnswer(410, 0)}}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Consumers: []engine.Consumer{ep}, RetrySchedule: fast})
	ctx := context.Background()
	first, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-gone", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the 410", func() bool {
		page, _ := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{State: getpaid.DeliveryDead})
		return len(page.Deliveries) == 1
	})
	later, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-later", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // a claim round a second
	if n := len(ep.attempts()); n != 1 {
		t.Fatalf("%d attempts after a 410, want the one answered 410", n)
	}
	if n, err := e.eng.Replay(ctx, getpaid.ReplayRequest{DeadOnly: true}); err != nil || n != 1 {
		t.Fatalf("replay: %d, %v", n, err)
	}
	waitFor(t, "both events after the replay", func() bool {
		return ep.delivered("evt_created_"+first.ID) && ep.delivered("evt_created_"+later.ID)
	})
}

// A gone endpoint is tried again an hour later without anyone replaying
// (a replay made by another process, the CLI, is not heard by the server;
// an endpoint may come back on its own): what waited is sent then.
func TestGoneEndpointTriedAgainAfterAnHour(t *testing.T) {
	t.Parallel()
	now := &clock{}
	ep := &endpoint{script: []error{newAnswer(410, 0)}}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Consumers: []engine.Consumer{ep}, RetrySchedule: fast, Now: now.Now})
	ctx := context.Background()
	if _, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-gone", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the 410", func() bool { return len(ep.attempts()) == 1 })
	// The pause begins once the 410 is read, after the attempt began:
	// events written before that are sent at once.
	waitFor(t, "the pause", func() bool { return len(e.eng.Paused()) == 1 })
	later, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-later", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	now.Advance(59 * time.Minute)
	time.Sleep(1200 * time.Millisecond) // a claim round a second
	if n := len(ep.attempts()); n != 1 {
		t.Fatalf("%d attempts 59 minutes after a 410, want 1", n)
	}
	now.Advance(2 * time.Minute)
	waitFor(t, "the later event an hour on", func() bool { return ep.delivered("evt_created_" + later.ID) })
}

// An hour after a 410 Gone, one delivery tries the endpoint again, not all
// that waited: while it still answers 410, the others stay pending (one
// more dead letter an hour, not every delivery due then), and once it
// answers otherwise the rest follow.
func TestGoneEndpointProbedByOneDelivery(t *testing.T) {
	t.Parallel()
	now := &clock{}
	var script []error
	for range 10 {
		script = append(script, newAnswer(410, 0))
	}
	ep := &endpoint{script: script[:2]}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Consumers: []engine.Consumer{ep}, RetrySchedule: fast, Now: now.Now})
	ctx := context.Background()
	if _, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-gone", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the 410", func() bool { return len(ep.attempts()) == 1 })
	// The pause begins once the 410 is read, after the attempt began:
	// events written before that are sent at once.
	waitFor(t, "the pause", func() bool { return len(e.eng.Paused()) == 1 })
	var ids []string
	for i := range 5 {
		p, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: fmt.Sprint("o-waits-", i), Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, "evt_created_"+p.ID)
	}
	now.Advance(61 * time.Minute)
	waitFor(t, "the attempt an hour on", func() bool { return len(ep.attempts()) >= 2 })
	time.Sleep(1200 * time.Millisecond) // a claim round a second
	if n := len(ep.attempts()); n != 2 {
		t.Fatalf("%d attempts an hour after a 410 (the endpoint still gone), want 2: one delivery tries it again", n)
	}
	dead, err := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{State: getpaid.DeliveryDead})
	if err != nil || len(dead.Deliveries) != 2 {
		t.Fatalf("%d dead deliveries (%v), want 2: the first and the one that tried again", len(dead.Deliveries), err)
	}
	now.Advance(61 * time.Minute) // it answers 200 now: the rest follow
	waitFor(t, "the rest", func() bool {
		n := 0
		for _, id := range ids {
			if ep.delivered(id) {
				n++
			}
		}
		return n == 4
	})
}
