package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
)

// dispatcher delivers outbox events to consumers: it takes the deliveries a
// change leased to it as soon as the change is committed (see chain.go) and
// claims the others when due (leased to this engine, so several processes
// sharing a database never deliver one at the same time), hands each to its
// consumer in a goroutine of its own, and records the outcomes in batches. A
// consumer never has more than perConsumer deliveries in flight, so one slow
// or dead endpoint holds up neither the others nor the payment flow. Its
// claim loop wakes after a commit that wrote deliveries it was not given,
// after results are recorded, when a retry it recorded falls due, and every
// second otherwise (for what other processes sharing the store recorded).
type dispatcher struct {
	e           *Engine
	owner       string
	schedule    []time.Duration
	timeout     time.Duration // per attempt
	perConsumer int
	log         *slog.Logger

	wakeCh  chan struct{} // buffered 1
	quit    chan struct{}
	stopped chan struct{}
	results chan getpaid.DeliveryResult

	mu   sync.Mutex
	busy map[string]int // consumer -> deliveries in flight
	// paused holds the consumers sent nothing until a time: one that asked
	// to be sent less (429, 502, 504), or one gone (410).
	paused map[string]getpaid.ConsumerPause
	// unrecorded holds the deliveries taken (claimed or leased with their
	// change) and not yet recorded: a claim that gets one of them again
	// (its lease ran out while recording its outcome was slow, the
	// database away) does not start it twice.
	unrecorded map[string]chainKey
	chains     map[chainKey]*chain
	running    bool // started and not stopping: changes lease their deliveries to it
	flight     sync.WaitGroup
}

// DefaultDeliveriesInFlight is how many attempts one consumer has running at
// once unless Config.DeliveriesInFlight says otherwise: enough for a
// consumer answering in a few milliseconds to keep up with thousands of
// events a second, as claims and results are written in batches.
const DefaultDeliveriesInFlight = 64

func newDispatcher(e *Engine, schedule []time.Duration, timeout time.Duration, inFlight int) *dispatcher {
	if schedule == nil {
		schedule = DefaultSchedule()
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if inFlight <= 0 {
		inFlight = DefaultDeliveriesInFlight
	}
	return &dispatcher{
		e: e, owner: getpaid.NewID("disp"), schedule: schedule, timeout: timeout, perConsumer: inFlight, log: e.log,
		wakeCh: make(chan struct{}, 1), quit: make(chan struct{}), stopped: make(chan struct{}),
		results: make(chan getpaid.DeliveryResult, 256), busy: map[string]int{}, unrecorded: map[string]chainKey{},
		chains: map[chainKey]*chain{}, paused: map[string]getpaid.ConsumerPause{},
	}
}

// wake asks for a claim round now; it never blocks.
func (d *dispatcher) wake() {
	select {
	case d.wakeCh <- struct{}{}:
	default:
	}
}

// start runs the claim loop and the result recorder.
func (d *dispatcher) start() {
	d.mu.Lock()
	d.running = true
	d.mu.Unlock()
	recorded := make(chan struct{})
	go d.record(recorded)
	go func() {
		defer close(d.stopped)
		d.loop()
		d.flight.Wait() // in-flight deliveries finish (each bounded by its timeout)
		close(d.results)
		<-recorded
	}()
}

// stop stops claiming, lets the deliveries in flight finish and records them.
func (d *dispatcher) stop() {
	d.mu.Lock()
	d.running = false // no more deliveries taken from changes (see take)
	d.mu.Unlock()
	close(d.quit)
	<-d.stopped
}

func (d *dispatcher) loop() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last time.Time
	for {
		last = time.Now()
		for d.claim() {
			select {
			case <-d.quit:
				return
			default:
			}
		}
		select {
		case <-d.quit:
			return
		case <-d.wakeCh:
			// Under a stream of changes every commit wakes the loop: claim
			// at most every claimGap, so one claim takes what several
			// commits queued (each claim is a write of the store).
			if wait := time.Until(last.Add(claimGap)); wait > 0 {
				select {
				case <-d.quit:
					return
				case <-time.After(wait):
				}
			}
		case <-tick.C:
		}
	}
}

// claimGap is the shortest time between two claims woken by commits, and
// recordGap how long the recorder gathers results before writing them: a
// little delay of the bookkeeping, never of an attempt, for far fewer
// writes when many events flow.
const (
	claimGap  = 20 * time.Millisecond
	recordGap = 10 * time.Millisecond
)

// claim leases the due deliveries of the consumers with room and starts
// them; it reports whether it may find more at once.
func (d *dispatcher) claim() bool {
	var ready []string
	room := map[string]int{}
	d.mu.Lock()
	for _, n := range d.e.consumerNames() {
		if d.busy[n] < d.perConsumer && !d.pausedLocked(n) {
			if d.probingLocked(n) {
				// Gone, its pause over: one delivery tries it again.
				if d.busy[n] == 0 {
					ready = append(ready, n)
					room[n] = 1
				}
				continue
			}
			ready = append(ready, n)
			room[n] = d.perConsumer - d.busy[n]
		}
	}
	d.mu.Unlock()
	if len(ready) == 0 {
		return false
	}
	const batch = DefaultDeliveriesInFlight
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The leases run from before the call, as the store counts them: a
	// claim that took long leaves less of them for the attempts.
	now, lease := d.e.now(), d.leaseTime()
	claimed, err := d.e.store.ClaimDeliveries(ctx, getpaid.ClaimRequest{
		Owner: d.owner, Now: now, Lease: lease, Limit: batch, Consumers: ready, Room: room,
	})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			d.log.Warn("claiming event deliveries failed; will retry", "err", err)
		}
		return false
	}
	d.take(claimed, now.Add(lease))
	return len(claimed) == batch
}

// deliver makes one attempt, sends its result to the recorder and starts
// (or gives back) the next of its chain.
func (d *dispatcher) deliver(cons Consumer, c getpaid.ClaimedDelivery) {
	defer d.flight.Done()
	start := d.e.now()
	if f, ok := cons.(EventFilter); ok && !(getpaid.Subscription{Types: f.EventTypes()}).Wants(c.Event.Type) &&
		c.Delivery.CreatedAt.Before(d.e.addedAt(c.Delivery.Consumer)) {
		// Written, before this engine was configured, when the consumer
		// took every type, or this one: its events: were narrowed since.
		// It is not sent, as backfill would not write it, and no longer
		// holds the payment's later events. One written since was written
		// by another process sharing the store whose configuration is
		// newer (a rollout widening events:), or older (one narrowing
		// them, whose old servers still send such types): it is sent, as
		// the consumer is to get it or gets its like anyway.
		res := getpaid.DeliveryResult{ID: c.Delivery.ID, Owner: d.owner, Discarded: true,
			Attempt: getpaid.Attempt{At: start, Error: "not sent: the consumer no longer takes " + string(c.Event.Type) + " events"}}
		d.log.Info("event delivery discarded: the consumer no longer takes events of its type", "consumer", getpaid.ShownConsumer(c.Delivery.Consumer),
			"event", c.Event.ID, "type", c.Event.Type, "payment", c.Event.PaymentID)
		// Its place in flight (taken by startLocked) is given back, as an
		// attempt gives it back when the consumer returns.
		d.mu.Lock()
		d.busy[c.Delivery.Consumer]--
		d.mu.Unlock()
		d.next(c.Delivery, true)
		d.results <- res
		return
	}
	status, err := d.attempt(cons, c.Delivery.Consumer, c.Event)
	if !isGone(err) && !isLocal(err) { // a local failure heard nothing of the consumer
		d.answered(c.Delivery.Consumer)
	}
	res := getpaid.DeliveryResult{ID: c.Delivery.ID, Owner: d.owner,
		Attempt: getpaid.Attempt{At: start, Status: status, Duration: d.e.now().Sub(start)}}
	switch {
	case err == nil:
		res.Delivered = true
	case isGone(err):
		res.Dead = true
		res.Attempt.Error = err.Error()
		d.pause(getpaid.ConsumerPause{Consumer: c.Delivery.Consumer, Gone: true, Status: status}, GonePause)
		d.log.Error("event delivery refused for good (the consumer is gone): nothing more is sent to it for an hour, unless a replay through the API or the console comes first; remove it from the configuration, or replay when it wants events again",
			"consumer", getpaid.ShownConsumer(c.Delivery.Consumer), "event", c.Event.ID, "payment", c.Event.PaymentID, "err", err)
	case isLocal(err):
		// Nothing reached the consumer: not its attempt. Recorded, not
		// counted, and soon tried again, whatever its place in the
		// schedule (its last try included).
		res.Local = true
		res.NextAt = d.e.now().Add(max(d.retryWait(0, err), ThrottlePause))
		res.Attempt.Error = err.Error()
		d.log.Warn("event delivery failed on this machine, not at the consumer; will retry, not counting it", "consumer", getpaid.ShownConsumer(c.Delivery.Consumer),
			"event", c.Event.ID, "payment", c.Event.PaymentID, "next", res.NextAt, "err", err)
	case c.Delivery.Attempts >= len(d.schedule):
		res.Dead = true
		res.Attempt.Error = err.Error()
		d.log.Error("event delivery gave up; replay it when the consumer is back", "consumer", getpaid.ShownConsumer(c.Delivery.Consumer),
			"event", c.Event.ID, "payment", c.Event.PaymentID, "attempts", c.Delivery.Attempts+1, "err", err)
	default:
		if isThrottled(err) {
			// At least a second: a schedule retrying at once
			// (delivery_retries: [0s, …]) would otherwise pause for nothing.
			wait := max(cmp.Or(d.asked(err), d.schedule[0]), ThrottlePause)
			d.pause(getpaid.ConsumerPause{Consumer: c.Delivery.Consumer, Status: status}, wait)
			d.log.Warn("consumer asks to be sent less: nothing more is sent to it for a while", "consumer", getpaid.ShownConsumer(c.Delivery.Consumer), "for", wait, "err", err)
		}
		res.NextAt = d.e.now().Add(d.retryWait(c.Delivery.Attempts, err))
		res.Attempt.Error = err.Error()
		d.log.Warn("event delivery failed; will retry", "consumer", getpaid.ShownConsumer(c.Delivery.Consumer), "event", c.Event.ID,
			"payment", c.Event.PaymentID, "attempt", c.Delivery.Attempts+1, "next", res.NextAt, "err", err)
	}
	d.next(c.Delivery, res.Delivered || res.Dead)
	d.results <- res
}

// ThrottlePause is the least a consumer asking to be sent less (429, 502,
// 504) is sent nothing for, whatever its Retry-After and the schedule say.
const ThrottlePause = time.Second

// GonePause is how long a consumer gone (410) is paused, unless a replay
// through this engine (the API, the console) resumes it sooner. Then one
// delivery tries it again: a replay made by another process (the CLI) is
// not heard here, and an endpoint may come back without anyone saying so.
const GonePause = time.Hour

// pause sends p's consumer nothing for wait from now (or longer, if it is
// paused longer already), and wakes the claim loop when that ends.
func (d *dispatcher) pause(p getpaid.ConsumerPause, wait time.Duration) {
	p.Until = d.e.now().Add(wait)
	d.mu.Lock()
	if p.Until.After(d.paused[p.Consumer].Until) {
		d.paused[p.Consumer] = p
	}
	d.mu.Unlock()
	time.AfterFunc(wait, d.wake)
}

// resume ends the pause of consumers (all: nil) and wakes the claim loop:
// an operator replayed their deliveries.
func (d *dispatcher) resume(consumers []string) {
	d.mu.Lock()
	if consumers == nil {
		clear(d.paused)
	}
	for _, c := range consumers {
		delete(d.paused, c)
	}
	d.mu.Unlock()
	d.wake()
}

// pausedNow lists the consumers paused now, by name.
func (d *dispatcher) pausedNow() []getpaid.ConsumerPause {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []getpaid.ConsumerPause{}
	for c, p := range d.paused {
		if d.pausedLocked(c) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b getpaid.ConsumerPause) int { return strings.Compare(a.Consumer, b.Consumer) })
	return out
}

// probingLocked reports whether consumer answered 410 Gone and its pause
// is over: until one attempt gets another answer, one delivery at a time
// tries it again (all that waited would otherwise go at once, each dead at
// its 410 if it is still gone).
func (d *dispatcher) probingLocked(consumer string) bool {
	p, ok := d.paused[consumer]
	return ok && p.Gone && !d.e.now().Before(p.Until)
}

// answered ends consumer's trial after a 410 Gone whose pause is over: it
// answered otherwise, so it takes deliveries as before.
func (d *dispatcher) answered(consumer string) {
	d.mu.Lock()
	if d.probingLocked(consumer) {
		delete(d.paused, consumer)
		d.mu.Unlock()
		d.wake()
		return
	}
	d.mu.Unlock()
}

// pausedLocked reports whether consumer is paused now.
func (d *dispatcher) pausedLocked(consumer string) bool {
	p, ok := d.paused[consumer]
	return ok && d.e.now().Before(p.Until)
}

// asked is how long err asks to wait (a webhook answer's Retry-After), at
// most the schedule's longest wait; 0 when it asks nothing.
func (d *dispatcher) asked(err error) time.Duration {
	return min(retryAfter(err), slices.Max(d.schedule))
}

// retryWait is how long after failed attempt number n+1 the next one is
// due: the schedule's n-th wait, or longer when the consumer's error asks
// for it (a webhook answer's Retry-After) but never past the schedule's
// longest wait, plus up to a tenth more as jitter, so deliveries that failed
// together (an endpoint down for a while) do not all come back together.
func (d *dispatcher) retryWait(n int, err error) time.Duration {
	wait := max(d.schedule[n], d.asked(err))
	if wait >= 10 {
		wait += rand.N(wait / 10)
	}
	return wait
}

// attempt calls the consumer with a deadline, and does not wait for one that
// ignores it. The call counts against the consumer's deliveries in flight
// until it returns, deadline or not: a consumer stuck in calls that never
// end gets no more of them (its deliveries wait, pending), rather than one
// more stuck call with every retry of every event.
func (d *dispatcher) attempt(cons Consumer, name string, ev getpaid.Event) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	type outcome struct {
		status int
		err    error
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		returned := false
		defer func() {
			if r := recover(); r != nil {
				o.err = fmt.Errorf("consumer %s panicked: %v%s", name, r, panicSite())
			} else if !returned {
				// runtime.Goexit (t.FailNow in a shop's test): the
				// consumer ended without returning, so it did not take
				// the event; its zero result is no acknowledgement.
				o.err = fmt.Errorf("consumer %s ended its goroutine without returning (runtime.Goexit, as t.FailNow calls)", name)
			}
			// Room for this consumer before the recorder wakes the claim
			// loop; a call that outlived its deadline wakes it itself.
			d.mu.Lock()
			d.busy[name]--
			d.mu.Unlock()
			select {
			case <-ctx.Done():
				d.wake()
			default:
			}
			done <- o
		}()
		o.status, o.err = cons.Deliver(ctx, ev)
		returned = true
	}()
	select {
	case o := <-done:
		return o.status, o.err
	case <-ctx.Done():
		return 0, errors.New("timed out after " + d.timeout.String())
	}
}

// record writes results in batches: an acknowledgement costs no commit of
// its own.
func (d *dispatcher) record(done chan<- struct{}) {
	defer close(done)
	batch := make([]getpaid.DeliveryResult, 0, 128)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		d.alarms(batch)
		released := false
		for _, r := range batch {
			released = released || r.Release
		}
		if released {
			// A released delivery was never started: forget it before its
			// release is written, so that a claim getting it back at once
			// (it is due) starts it rather than taking it for one in flight.
			d.mu.Lock()
			for _, r := range batch {
				if r.Release {
					d.recordedLocked(r.ID)
				}
			}
			d.mu.Unlock()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := d.e.store.FinishDeliveries(ctx, batch); err != nil {
			d.log.Warn("recording event deliveries failed; their leases will run out and they will be delivered again",
				"n", len(batch), "err", err)
		}
		cancel()
		d.mu.Lock()
		for _, r := range batch {
			if !r.Release {
				d.recordedLocked(r.ID)
			}
		}
		d.mu.Unlock()
		batch = batch[:0]
		// The consumers have room again, and a payment's next events may
		// be due now that these are recorded.
		d.wake()
	}
	for r := range d.results {
		batch = append(batch, r)
		gather := time.NewTimer(recordGap)
	drain:
		for len(batch) < cap(batch) {
			select {
			case more, ok := <-d.results:
				if !ok {
					break drain
				}
				batch = append(batch, more)
			case <-gather.C:
				break drain
			}
		}
		gather.Stop()
		flush()
	}
	flush()
}

// alarmSpan and alarmHorizon bound the wake-ups alarms sets: retries due
// within alarmSpan of each other share one, and those due further than
// alarmHorizon away are left to the loop's tick, a second late at most
// (under 2% of their wait).
const (
	alarmSpan    = 50 * time.Millisecond
	alarmHorizon = time.Minute
)

// alarms wakes the claim loop when the retries among results fall due: the
// loop's once-a-second tick alone would start each up to a second late (a
// schedule of seconds, as a test endpoint's, would be stretched by half).
// A wake-up comes at the last retry of its group, so its claim finds them
// all due.
func (d *dispatcher) alarms(results []getpaid.DeliveryResult) {
	now := d.e.now()
	var dues []time.Time
	for _, r := range results {
		if !r.Delivered && !r.Dead && !r.Discarded && !r.Release && r.NextAt.Sub(now) < alarmHorizon {
			dues = append(dues, r.NextAt)
		}
	}
	slices.SortFunc(dues, time.Time.Compare)
	for i := 0; i < len(dues); {
		j := i
		for j+1 < len(dues) && dues[j+1].Sub(dues[i]) <= alarmSpan {
			j++
		}
		time.AfterFunc(max(dues[j].Sub(now), time.Millisecond), d.wake)
		i = j + 1
	}
}
