package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// recorder is a listener that keeps what it got and fails while told to.
type recorder struct {
	mu     sync.Mutex
	events []getpaid.Event
	calls  atomic.Int64
	fail   atomic.Int64 // calls still to fail
}

func (r *recorder) listen(ctx context.Context, ev getpaid.Event) error {
	r.calls.Add(1)
	if r.fail.Add(-1) >= 0 {
		return errors.New("shop database down")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) got() []getpaid.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]getpaid.Event(nil), r.events...)
}

// has reports whether the recorder got an event moving payment id to status.
func (r *recorder) has(id string, to getpaid.Status) bool {
	for _, ev := range r.got() {
		if ev.PaymentID == id && ev.Type == getpaid.EventStatusChanged && ev.To == to {
			return true
		}
	}
	return false
}

var fast = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}

// A listener failing three times gets the event on the fourth attempt, the
// same event every time, with each attempt kept for operators.
func TestListenerRetriedOnSchedule(t *testing.T) {
	t.Parallel()
	r := &recorder{}
	r.fail.Store(3)
	e := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: fast})
	e.eng.OnEventNamed("shop", func(ctx context.Context, ev getpaid.Event) error {
		if ev.Type != getpaid.EventStatusChanged || ev.To != getpaid.StatusPaid {
			return nil
		}
		return r.listen(ctx, ev)
	})
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	waitFor(t, "the paid event", func() bool { return r.has(p.ID, getpaid.StatusPaid) })
	if n := r.calls.Load(); n != 4 {
		t.Fatalf("listener called %d times for the paid event, want 4", n)
	}
	evs := r.got()
	page, err := e.eng.Deliveries(context.Background(), getpaid.DeliveryFilter{EventID: evs[0].ID})
	if err != nil || len(page.Deliveries) != 1 {
		t.Fatalf("deliveries: %+v, %v", page, err)
	}
	d := page.Deliveries[0]
	waitFor(t, "the delivery recorded", func() bool {
		page, _ := e.eng.Deliveries(context.Background(), getpaid.DeliveryFilter{EventID: evs[0].ID})
		d = page.Deliveries[0]
		return d.State == getpaid.DeliveryDelivered
	})
	atts, err := e.eng.Attempts(context.Background(), d.ID)
	if err != nil || len(atts) != 4 || atts[0].Error == "" || atts[3].Error != "" || d.Consumer != "listener:shop" {
		t.Fatalf("attempts %+v, %v; delivery %+v", atts, err, d)
	}
}

// A delivery whose schedule runs out is dead; a replay delivers it once the
// consumer is back.
func TestDeadDeliveryReplayed(t *testing.T) {
	t.Parallel()
	r := &recorder{}
	r.fail.Store(1 << 30)
	e := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: fast[:2]})
	e.eng.OnEventNamed("shop", r.listen)
	ctx := context.Background()
	dead := createAndWaitDead(t, e, "o")
	if dead[0].Attempts != 3 || r.calls.Load() != 3 {
		t.Fatalf("dead after %d attempts (%d calls), want 3", dead[0].Attempts, r.calls.Load())
	}
	r.fail.Store(0)
	if n, err := e.eng.Replay(ctx, getpaid.ReplayRequest{DeadOnly: true}); err != nil || n != 1 {
		t.Fatalf("replay: %d, %v", n, err)
	}
	waitFor(t, "the replayed event", func() bool { return len(r.got()) == 1 })
	if got := r.got()[0]; got.ID != dead[0].EventID {
		t.Fatalf("replayed %s, want %s", got.ID, dead[0].EventID)
	}
	if _, err := e.eng.Replay(ctx, getpaid.ReplayRequest{}); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("a replay naming nothing: %v", err)
	}
}

// A consumer back after an outage gets what waits for a retry at once when
// an operator asks (ReplayRequest.Waiting), not after the backoff: the
// attempt is its second, and the first one's failure is kept.
func TestWaitingDeliveriesRetriedNow(t *testing.T) {
	t.Parallel()
	r := &recorder{}
	r.fail.Store(1)
	e := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: []time.Duration{time.Hour}})
	e.eng.OnEventNamed("shop", r.listen)
	ctx := context.Background()
	p, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first attempt to fail", func() bool {
		page, _ := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, State: getpaid.DeliveryPending})
		return len(page.Deliveries) == 1 && page.Deliveries[0].Attempts == 1
	})
	for _, bad := range []getpaid.ReplayRequest{
		{Waiting: true, DeadOnly: true},
		{Waiting: true, EventID: "evt_x"},
		{Waiting: true, Consumer: "listener:nope"},
	} {
		if _, err := e.eng.Replay(ctx, bad); !errors.Is(err, getpaid.ErrInvalidRequest) {
			t.Errorf("Replay(%+v) = %v, want ErrInvalidRequest", bad, err)
		}
	}
	if n, err := e.eng.Replay(ctx, getpaid.ReplayRequest{Waiting: true, Consumer: "listener:shop"}); err != nil || n != 1 {
		t.Fatalf("retry now: %d, %v; want 1", n, err)
	}
	waitFor(t, "the event delivered well before its retry", func() bool { return len(r.got()) == 1 })
	var d *getpaid.Delivery
	waitFor(t, "the delivery recorded", func() bool {
		page, _ := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID})
		d = page.Deliveries[0]
		return d.State == getpaid.DeliveryDelivered
	})
	if atts, err := e.eng.Attempts(ctx, d.ID); err != nil || len(atts) != 2 || atts[0].Error == "" || d.Attempts != 2 {
		t.Fatalf("attempts %+v, %v; delivery %+v", atts, err, d)
	}
}

// A listener that panics, one that hangs and one that keeps failing take
// nothing down: the healthy one gets every event, and the others' events
// stay pending for their retries.
func TestBadConsumersTakeNothingDown(t *testing.T) {
	t.Parallel()
	good := &recorder{}
	var hung atomic.Int64
	// The timeout is long enough for the healthy listener on a loaded race
	// run: one of its attempts timed out at 50 ms, and its retry (an hour
	// away) held up that payment's later events.
	e := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: []time.Duration{time.Hour}, DeliveryTimeout: time.Second})
	e.eng.OnEventNamed("panics", func(context.Context, getpaid.Event) error { panic("boom") })
	e.eng.OnEventNamed("hangs", func(context.Context, getpaid.Event) error { hung.Add(1); select {} })
	e.eng.OnEventNamed("fails", func(context.Context, getpaid.Event) error { return errors.New("500") })
	e.eng.OnEventNamed("good", good.listen)
	var ids []string
	for i := range 20 {
		p := e.pay(fmt.Sprint("o", i), "10.00", "paid", getpaid.StatusPaid)
		ids = append(ids, p.ID)
	}
	waitFor(t, "every paid event at the healthy listener", func() bool {
		for _, id := range ids {
			if !good.has(id, getpaid.StatusPaid) {
				return false
			}
		}
		return true
	})
	ctx := context.Background()
	for _, name := range []string{"listener:panics", "listener:hangs", "listener:fails"} {
		waitFor(t, name+"'s failures recorded", func() bool {
			page, _ := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: name, State: getpaid.DeliveryPending, Limit: 500})
			failed := 0
			for _, d := range page.Deliveries {
				if d.Attempts == 1 && d.LastError != "" {
					failed++
				}
			}
			return failed == 20 // one per payment (the next waits behind it)
		})
	}
}

// Events reach a consumer in the order of each payment's changes, each once:
// 100 payments, each created, prepared, paid and refunded four times in part
// (1,100 events).
func TestPerPaymentOrder(t *testing.T) {
	t.Parallel()
	r := &recorder{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	e.eng.OnEventNamed("shop", r.listen)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			p := e.pay(fmt.Sprint("o", i), "10.00", "paid", getpaid.StatusPaid)
			for k := range 4 {
				if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("0.01"), IdempotencyKey: fmt.Sprint(k)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	// The dummy refunds at once: every refund is two status changes.
	waitFor(t, "1,100 events, every delivery recorded", func() bool {
		page, _ := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{State: getpaid.DeliveryPending, Limit: 1})
		return len(r.got()) >= 1100 && len(page.Deliveries) == 0
	})
	evs := r.got()
	if len(evs) != 1100 {
		t.Fatalf("%d events delivered, want 1,100 (each once)", len(evs))
	}
	last := map[string]time.Time{}
	seen := map[string]bool{}
	for _, ev := range evs {
		if seen[ev.ID] {
			t.Fatalf("event %s delivered twice", ev.ID)
		}
		seen[ev.ID] = true
		if ev.At.Before(last[ev.PaymentID]) {
			t.Fatalf("payment %s: event %s (%s) after a later one", ev.PaymentID, ev.ID, ev.At)
		}
		last[ev.PaymentID] = ev.At
	}
}

// A dummy payment in pull mode whose callback is never sent is paid through
// polling alone; one left unpaid past its deadline expires (cancelled) with
// its event.
func TestPullModeAndExpiry(t *testing.T) {
	t.Parallel()
	now := &clock{}
	r := &recorder{}
	e := newDummyEnv(t, dummy.Config{NoCallbacks: true}, engine.Config{Now: now.Now, ExpireAfter: time.Hour})
	e.eng.OnEventNamed("shop", r.listen)
	ctx := context.Background()
	paid := e.pay("o1", "10.00", "paid", "")
	unpaid, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o2", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := e.eng.Payment(ctx, paid.ID); q.Status != getpaid.StatusPrepared {
		t.Fatalf("pull mode sent a callback: %s", q.Status)
	}
	now.Advance(3 * time.Minute)
	if n, err := e.eng.PollStale(ctx, 2*time.Minute, 72*time.Hour, 10); err != nil || n != 1 {
		t.Fatalf("poll: %d, %v", n, err)
	}
	if q, _ := e.eng.Payment(ctx, paid.ID); q.Status != getpaid.StatusPaid {
		t.Fatalf("after polling: %s", q.Status)
	}
	if n, _ := e.eng.Expire(ctx, 10); n != 0 {
		t.Fatal("expired a payment before its deadline")
	}
	now.Advance(time.Hour)
	if n, err := e.eng.Expire(ctx, 10); err != nil || n != 1 {
		t.Fatalf("expire: %d, %v", n, err)
	}
	q, _ := e.eng.Payment(ctx, unpaid.ID)
	h, _ := e.eng.History(ctx, unpaid.ID)
	if q.Status != getpaid.StatusCancelled || h[len(h)-1].Cause != "expired" {
		t.Fatalf("after expiry: %s, history %+v", q.Status, h)
	}
	waitFor(t, "the expiry event", func() bool { return r.has(unpaid.ID, getpaid.StatusCancelled) })
	for _, ev := range r.got() {
		if ev.PaymentID == unpaid.ID && ev.To == getpaid.StatusCancelled && ev.Cause != "expired" {
			t.Errorf("the expiry event's cause is %q, want expired (listeners and webhooks tell it from a cancel)", ev.Cause)
		}
	}
	// Money paid after expiry is still recorded.
	if _, err := e.callback(dummy.Callback{PaymentID: unpaid.ID, EventID: "late", Status: "paid", Amount: "10.00", Currency: "PLN"}); err != nil {
		t.Fatal(err)
	}
	if q, _ := e.eng.Payment(ctx, unpaid.ID); q.Status != getpaid.StatusPaid {
		t.Fatalf("paid after expiry: %s", q.Status)
	}
}

// gatedStore claims nothing until opened, so that a whole backlog is due
// at the first claim that counts, however fast payments are made.
type gatedStore struct {
	getpaid.Store
	open atomic.Bool
}

func (g *gatedStore) ClaimDeliveries(ctx context.Context, r getpaid.ClaimRequest) ([]getpaid.ClaimedDelivery, error) {
	if !g.open.Load() {
		return nil, nil
	}
	return g.Store.ClaimDeliveries(ctx, r)
}

// A slow consumer never has more deliveries in flight than
// Config.DeliveriesInFlight, however many are due: 30 payments' events,
// all due at the first claim, wait for a listener that holds every call
// until released, and all arrive once it is.
func TestInFlightBoundedPerConsumer(t *testing.T) {
	t.Parallel()
	var (
		now, peak atomic.Int64
		release   = make(chan struct{})
		got       = &recorder{}
	)
	gs := &gatedStore{Store: memory.New()}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: gs, DeliveryTimeout: time.Minute, DeliveriesInFlight: 8})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the engine stops, on failure too
	e.eng.OnEventNamed("slow", func(ctx context.Context, ev getpaid.Event) error {
		n := now.Add(1)
		defer now.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		return got.listen(ctx, ev)
	})
	var ids []string
	for i := range 30 {
		ids = append(ids, e.pay(fmt.Sprint("o", i), "10.00", "paid", getpaid.StatusPaid).ID)
	}
	gs.open.Store(true)
	waitFor(t, "eight deliveries in flight", func() bool { return now.Load() >= 8 })
	time.Sleep(100 * time.Millisecond) // a claim that overshot would show by now
	if p := peak.Load(); p != 8 {
		t.Fatalf("%d deliveries in flight at once, want at most 8", p)
	}
	free()
	waitFor(t, "every paid event delivered", func() bool {
		for _, id := range ids {
			if !got.has(id, getpaid.StatusPaid) {
				return false
			}
		}
		return true
	})
}

// A listener that hangs, ignoring its context, holds no more than
// DeliveriesInFlight calls: an attempt that timed out still counts against
// the cap until its call returns, so the consumer's deliveries wait, pending,
// instead of every retry of every event starting one more call that never
// ends (goroutines, and what they hold, piling up until the process falls
// over). The other consumers go on, and once the calls return, everything
// is delivered.
func TestHungListenerHoldsItsCapOnly(t *testing.T) {
	t.Parallel()
	var running, peak atomic.Int64
	release := make(chan struct{})
	good := &recorder{}
	retries := make([]time.Duration, 20)
	for i := range retries {
		retries[i] = time.Millisecond
	}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: retries, DeliveryTimeout: 50 * time.Millisecond, DeliveriesInFlight: 2})
	e.eng.OnEventNamed("hangs", func(context.Context, getpaid.Event) error {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release // its context ends; it does not look
		return nil
	})
	e.eng.OnEventNamed("good", good.listen)
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	ctx := context.Background()
	pay := func(order string) *getpaid.Payment {
		p, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: order, Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	deliveries := func() []*getpaid.Delivery {
		page, err := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: "listener:hangs", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return page.Deliveries
	}
	a := pay("a")
	waitFor(t, "two hung calls, both timed out", func() bool {
		for _, d := range deliveries() {
			if d.EventID == "evt_created_"+a.ID {
				return running.Load() >= 2 && d.Attempts >= 2
			}
		}
		return false
	})
	// Claims go on for the healthy listener meanwhile: a payment's events
	// reach it one claim after the other.
	b := pay("b")
	waitFor(t, "the healthy listener served", func() bool { return good.has(b.ID, getpaid.StatusPrepared) })
	if p := peak.Load(); p > 2 {
		t.Fatalf("%d calls of the hung listener at once, want at most 2 (DeliveriesInFlight)", p)
	}
	close(release)
	waitFor(t, "every event delivered to the listener once it is back", func() bool {
		ds := deliveries()
		for _, d := range ds {
			if d.State == getpaid.DeliveryDead {
				t.Fatalf("delivery %s went dead while its consumer was stuck", d.ID)
			}
			if d.State != getpaid.DeliveryDelivered {
				return false
			}
		}
		return len(ds) == 4 // each payment: created, prepared
	})
}
