package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Consumer receives outbox events: an in-process listener, or a merchant's
// webhook endpoint. Every event is delivered to every consumer on its own
// schedule, at least once: dedupe by Event.ID.
//
// A Consumer's error may say more about what to do next, found with
// errors.As by the methods it has (so a consumer's package needs no import
// of this one); the webhook package's errors have both:
//
//   - Gone() bool: true when the consumer wants no more events (a webhook
//     endpoint answering 410 Gone). The delivery is dead at once, with no
//     retries; an operator can replay it. Nothing more is sent to the
//     consumer (its later events stay pending) for an hour, or until an
//     operator replays some of its deliveries through this engine; then
//     one tries it again.
//   - RetryAfter() time.Duration: try again no sooner than this (a webhook
//     answer's Retry-After). The next attempt waits for the longer of this
//     and the schedule's wait, but never longer than the schedule's longest
//     wait; it still counts against the schedule.
//   - Local() bool: true when the attempt failed on this machine before
//     anything reached the consumer (a webhook's connection refused by this
//     machine's own limits: out of file descriptors). It is recorded, but
//     does not count against the schedule and never makes the delivery
//     dead: the next attempt is after the schedule's first wait, and at
//     least ThrottlePause.
//   - Throttled() bool: true when the consumer asks to be sent less (a
//     webhook endpoint answering 429, 502 or 504). Nothing more is sent to
//     it for its RetryAfter (at most the schedule's longest wait) or, without
//     one, the schedule's first wait, and at least ThrottlePause; attempts
//     already running go on.
//
// Retries wait up to a tenth longer than that, at random (jitter), so the
// deliveries an outage failed together do not all come back together.
type Consumer interface {
	// Name identifies the consumer's deliveries in the store; it must stay
	// the same across restarts ("listener:shop", "webhook:https://...");
	// one that is "" is refused (engine.New errs, AddConsumer panics).
	Name() string
	// Deliver hands ev over. A nil error is an acknowledgement; an error (a
	// panic, a timeout) schedules a retry. status is the HTTP status of a
	// webhook answer (0 otherwise), kept for operators.
	Deliver(ctx context.Context, ev getpaid.Event) (status int, err error)
}

// isGone reports whether err says its consumer wants no more events.
func isGone(err error) bool {
	var g interface{ Gone() bool }
	return errors.As(err, &g) && g.Gone()
}

// isLocal reports whether err says its attempt failed on this machine,
// before anything reached the consumer.
func isLocal(err error) bool {
	var l interface{ Local() bool }
	return errors.As(err, &l) && l.Local()
}

// isThrottled reports whether err asks to send its consumer less for a
// while.
func isThrottled(err error) bool {
	var t interface{ Throttled() bool }
	return errors.As(err, &t) && t.Throttled()
}

// retryAfter is how long err asks to wait before the next attempt (0: no
// wish).
func retryAfter(err error) time.Duration {
	var r interface{ RetryAfter() time.Duration }
	if errors.As(err, &r) {
		return max(r.RetryAfter(), 0)
	}
	return 0
}

// EventFilter is an optional Consumer capability: the event types it takes.
// Without it (or with none listed) a consumer takes every event. A delivery
// of a type it does not take, written before it was added to this engine
// (its types were narrowed since), is not sent: it becomes
// getpaid.DeliveryDiscarded when it comes due, saying why. One written
// since, by another process sharing the store (a rollout changing the
// types), is sent.
type EventFilter interface {
	EventTypes() []getpaid.EventType
}

// Listener receives outbox events in-process. An error (or a panic, or a
// runtime.Goexit) leaves the event to be delivered again on the retry schedule, except an error
// with the methods Consumer describes: one with Gone() true makes this
// delivery dead at once and pauses the listener, every payment's events
// waiting, for GonePause (an hour) or until a replay; to skip an event you
// do not want, return nil. A listener is called from several goroutines
// at once (other payments' events, up to Config.DeliveriesInFlight): it must
// be safe for concurrent use. A payment's events
// reach each listener in the order of its changes: while one waits for its
// retry, that payment's later events wait behind it (until it is delivered,
// or dead), and other payments' events go on. ctx ends after
// Config.DeliveryTimeout (10 s by default), and the attempt then counts as
// failed; a listener that ignores ctx and never returns keeps one of its
// Config.DeliveriesInFlight until it does, and once all are kept it gets no
// more events (they wait, pending) while other listeners go on.
type Listener func(ctx context.Context, ev getpaid.Event) error

// ListenerConsumer makes a listener a consumer called name ("listener:"
// is prepended).
func ListenerConsumer(name string, l Listener) Consumer {
	return listener{name: "listener:" + name, fn: l}
}

type listener struct {
	name string
	fn   Listener
}

// nameless reports whether c has no name of its own: Name is "", or it is
// ListenerConsumer("", l). Its deliveries could not be told from every
// consumer's ("" in a filter, Replay or Discard means none named).
func nameless(c Consumer) bool {
	l, ok := c.(listener)
	return c.Name() == "" || ok && l.name == "listener:"
}

// isNil reports whether c is nil, holds a nil pointer (a constructor's nil
// result passed on: a *webhook.Endpoint whose New failed), or is a listener
// of a nil function.
func isNil(c Consumer) bool {
	if c == nil {
		return true
	}
	if l, ok := c.(listener); ok {
		return l.fn == nil
	}
	switch v := reflect.ValueOf(c); v.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Slice, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}

func (l listener) Name() string { return l.name }

func (l listener) Deliver(ctx context.Context, ev getpaid.Event) (status int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("listener %s panicked: %v%s", l.name, r, panicSite())
		}
	}()
	return 0, l.fn(ctx, ev)
}

// panicSite says where the panic being recovered was raised, " (at
// pkg.Func, file.go:31)": the first frame past the panic outside the
// runtime, so a merchant whose listener or consumer panics sees which line
// to fix in the log and the console (an attempt's error). "" when the
// stack does not show it. Call it from the deferred function that
// recovers.
func panicSite() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	past := false
	for {
		f, more := frames.Next()
		if past && !strings.HasPrefix(f.Function, "runtime.") {
			return fmt.Sprintf(" (at %s, %s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		past = past || f.Function == "runtime.gopanic"
		if !more {
			return ""
		}
	}
}

// DefaultSchedule is the waits before each retry of a failed delivery (the
// first attempt is made at once): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
// 20 h and 24 h, the Standard Webhooks specification's example: ten
// attempts over about three days (75 h 35 min), so an endpoint down over a
// weekend still gets its events; then the delivery is dead.
func DefaultSchedule() []time.Duration {
	return []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute,
		2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}
}

// OnEvent adds a listener, named by its place among the unnamed listeners
// (Config.Listeners first, then OnEvent calls: "listener:1", "listener:2",
// ...; consumers and named listeners beside them do not count): add them in
// the same order at every start, before Run and before serving traffic, or name them with
// OnEventNamed.
func (e *Engine) OnEvent(l Listener) {
	if l == nil {
		panic("engine: OnEvent of a nil listener")
	}
	e.mu.Lock()
	e.unnamed++
	n := e.unnamed
	e.mu.Unlock()
	e.AddConsumer(ListenerConsumer(fmt.Sprint(n), l))
}

// OnEventNamed adds a listener called name ("listener:" is prepended: its
// deliveries are listed, replayed and backfilled under "listener:NAME").
// It panics, as a mistake in the program's wiring, on an empty name, a name
// taken already (by another listener, or by OnEvent's "1", "2", ...) and a
// nil listener. Add listeners before Run and before serving (see
// AddConsumer).
func (e *Engine) OnEventNamed(name string, l Listener) {
	if name == "" {
		panic("engine: OnEventNamed needs a name (it keys the listener's deliveries across restarts)")
	}
	e.AddConsumer(ListenerConsumer(name, l))
}

// AddConsumer adds a consumer: every event written from now on is
// delivered to it. Add consumers before serving traffic and before Run
// (whose first round, at once, may already find a payment paid): one added
// after this engine wrote events is logged as a warning, as it never gets
// those. An event goes to the consumers of the engine that writes it: every
// engine sharing the store (another process, a tool that refunds, a worker
// running Run) adds the same ones, or what it changes never reaches them.
// Names are unique
// (deliveries are keyed by them): adding a second consumer of a name panics,
// as does adding one with no name, or a nil consumer or listener (each of its deliveries would
// fail until it died).
func (e *Engine) AddConsumer(c Consumer) {
	if isNil(c) {
		panic("engine: AddConsumer of a nil consumer or listener")
	}
	if nameless(c) {
		panic("engine: AddConsumer of a consumer with no name (it keys the consumer's deliveries across restarts)")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if slices.Contains(e.names, c.Name()) {
		panic(fmt.Sprintf("engine: a consumer called %q is already added (each needs a name of its own)", c.Name()))
	}
	e.consumers = append(e.consumers, c)
	e.names = append(e.names, c.Name())
	if e.added == nil {
		e.added = map[string]time.Time{}
	}
	e.added[c.Name()] = e.now()
	sub := getpaid.Subscription{Consumer: c.Name()}
	if f, ok := c.(EventFilter); ok {
		sub.Types = f.EventTypes()
	}
	e.subs = append(e.subs, sub)
	if e.wroteEvents.Load() {
		e.log.Warn("an event consumer was added after this engine wrote events: it gets only the events written from now on (add listeners and consumers right after engine.New, before Run and before serving; Engine.Backfill sends it earlier ones)",
			"consumer", getpaid.ShownConsumer(c.Name()))
	}
}

// addedAt is when the consumer called name was added to this engine.
func (e *Engine) addedAt(name string) time.Time {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.added[name]
}

// consumerNames lists the consumers events are delivered to.
func (e *Engine) consumerNames() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.names
}

// subscriptions lists the consumers with the event types they take.
func (e *Engine) subscriptions() []getpaid.Subscription {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.subs
}

// consumer returns the consumer called name.
func (e *Engine) consumer(name string) Consumer {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, c := range e.consumers {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

// Event loads one outbox event.
func (e *Engine) Event(ctx context.Context, id string) (*getpaid.Event, error) {
	ev, err := e.store.Event(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: event %q: %w", id, err)
	}
	return ev, nil
}

// Events lists outbox events, newest first.
func (e *Engine) Events(ctx context.Context, f getpaid.EventFilter) (*getpaid.EventPage, error) {
	page, err := e.store.Events(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("engine: list events: %w", err)
	}
	return page, nil
}

// Deliveries lists deliveries of events to consumers, newest first. A
// filter naming a consumer events do not go to and never went to (a
// misspelt endpoint) is refused (getpaid.ErrInvalidRequest) rather than
// answered with an empty page.
func (e *Engine) Deliveries(ctx context.Context, f getpaid.DeliveryFilter) (*getpaid.DeliveryPage, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, fmt.Errorf("engine: list deliveries: %w", &getpaid.FieldError{Field: "status", Reason: "want pending, delivered, dead or discarded", Err: getpaid.ErrInvalidRequest})
	}
	page, err := e.store.Deliveries(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("engine: list deliveries: %w", err)
	}
	if len(page.Deliveries) == 0 && f.Cursor == "" && f.Consumer != "" && !slices.Contains(e.consumerNames(), f.Consumer) {
		// A consumer events do not go to: if nothing was ever delivered
		// to it either, the name is misspelt (a trailing slash, http for
		// https), and an empty page would read as "none dead".
		all, err := e.store.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: f.Consumer, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("engine: list deliveries: %w", err)
		}
		if len(all.Deliveries) == 0 {
			return nil, fmt.Errorf("engine: list deliveries: %w", e.notConsumer("no event was ever delivered to", f.Consumer))
		}
	}
	if err := e.fillWaitsFor(ctx, page.Deliveries); err != nil {
		return nil, fmt.Errorf("engine: list deliveries: %w", err)
	}
	return page, nil
}

// fillWaitsFor sets WaitsFor on the pending deliveries of ds held back
// behind an earlier event of their payment to their consumer. It reads each
// payment's pending deliveries to the consumer, and its events, once.
func (e *Engine) fillWaitsFor(ctx context.Context, ds []*getpaid.Delivery) error {
	type key struct{ payment, consumer string }
	first := map[key]string{} // the earliest event of the payment pending to the consumer
	for _, d := range ds {
		if d.State != getpaid.DeliveryPending {
			continue
		}
		k := key{d.PaymentID, d.Consumer}
		id, ok := first[k]
		if !ok {
			var err error
			if id, err = e.firstPending(ctx, d.PaymentID, d.Consumer); err != nil {
				return err
			}
			first[k] = id
		}
		if id != d.EventID {
			d.WaitsFor = id
		}
	}
	return nil
}

// firstPending returns the earliest event, in the order a payment's events
// were written, whose delivery to consumer is pending ("" when none is).
func (e *Engine) firstPending(ctx context.Context, paymentID, consumer string) (string, error) {
	pending := map[string]bool{}
	f := getpaid.DeliveryFilter{PaymentID: paymentID, Consumer: consumer, State: getpaid.DeliveryPending, Limit: getpaid.MaxPageSize}
	for {
		page, err := e.store.Deliveries(ctx, f)
		if err != nil {
			return "", err
		}
		for _, d := range page.Deliveries {
			pending[d.EventID] = true
		}
		if f.Cursor = page.NextCursor; f.Cursor == "" {
			break
		}
	}
	first := ""
	ef := getpaid.EventFilter{PaymentID: paymentID, Limit: getpaid.MaxPageSize}
	for {
		page, err := e.store.Events(ctx, ef)
		if err != nil {
			return "", err
		}
		for _, ev := range page.Events { // newest first: the last one seen is the earliest
			if pending[ev.ID] {
				first = ev.ID
			}
		}
		if ef.Cursor = page.NextCursor; ef.Cursor == "" {
			return first, nil
		}
	}
}

// notConsumer refuses a request naming consumer, which events do not go
// to, with what (its words before the name), naming the consumers they go
// to.
func (e *Engine) notConsumer(what, consumer string) error {
	known := ": getpaid delivers events to no webhook endpoint or listener"
	if names := e.consumerNames(); len(names) > 0 {
		shown := make([]string, len(names)) // names is the engine's own
		for i, n := range names {
			shown[i] = getpaid.ShownConsumer(n)
		}
		known = " (they are to: " + strings.Join(shown, ", ") + ")"
	}
	return &getpaid.FieldError{Field: "endpoint", Reason: fmt.Sprintf("%s %q%s", what, getpaid.ShownConsumer(consumer), known), Err: getpaid.ErrInvalidRequest}
}

// Paused lists the consumers this engine sends nothing to for now, by name:
// each answered 410 Gone or asked to be sent less (see
// getpaid.ConsumerPause). It implements getpaid.PauseReporter. Other
// processes on the same store pause on their own answers.
func (e *Engine) Paused() []getpaid.ConsumerPause { return e.dispatcher.pausedNow() }

// Attempts lists a delivery's attempts, oldest first.
func (e *Engine) Attempts(ctx context.Context, deliveryID string) ([]getpaid.Attempt, error) {
	a, err := e.store.Attempts(ctx, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("engine: attempts of %q: %w", deliveryID, err)
	}
	return a, nil
}

// Replay makes deliveries pending again, due now, and wakes the dispatcher:
// an event's deliveries (r.EventID), or every dead one (r.DeadOnly), of one
// consumer if r.Consumer is set, else of every consumer events are delivered
// to now (a removed endpoint's dead deliveries stay dead). An event's replay
// leaves out the consumers whose event types no longer take it (they would
// discard it, not send it), and refuses one named. With r.Waiting,
// the deliveries waiting for a retry are sent now instead
// (getpaid.ReplayRequest).
func (e *Engine) Replay(ctx context.Context, r getpaid.ReplayRequest) (int, error) {
	if r.EventID == "" && !r.DeadOnly && !r.Waiting {
		return 0, fmt.Errorf("engine: replay: %w", &getpaid.FieldError{Field: "event", Reason: "name an event, or replay the dead deliveries, or retry the waiting ones", Err: getpaid.ErrInvalidRequest})
	}
	if r.Waiting && (r.EventID != "" || r.DeadOnly) {
		return 0, fmt.Errorf("engine: replay: %w", &getpaid.FieldError{Field: "event", Reason: "retrying the waiting deliveries names no event and no dead ones", Err: getpaid.ErrInvalidRequest})
	}
	if r.Consumer != "" && !slices.Contains(e.consumerNames(), r.Consumer) {
		return 0, fmt.Errorf("engine: replay: %w", e.notConsumer("events are not delivered to", r.Consumer))
	}
	if len(e.consumerNames()) == 0 {
		// Nothing could be sent: "0 replayed" would read as "nothing to
		// replay" (a tool reading a config without the server's webhooks).
		return 0, fmt.Errorf("engine: replay: %w", &getpaid.FieldError{Field: "endpoint",
			Reason: "getpaid delivers events to no webhook endpoint or listener (webhooks: is empty)", Err: getpaid.ErrInvalidRequest})
	}
	var ev *getpaid.Event
	if r.EventID != "" {
		var err error
		if ev, err = e.store.Event(ctx, r.EventID); err != nil {
			return 0, fmt.Errorf("engine: replay %s: %w", r.EventID, err)
		}
	}
	r.Now = e.now()
	// Without a consumer named, only the deliveries of the consumers events
	// go to now: those of an endpoint removed from the config would be
	// made pending with nobody to send them, pending for ever.
	consumers := []string{r.Consumer}
	if r.Consumer == "" {
		consumers = e.consumerNames()
	}
	if ev != nil {
		// A consumer whose types no longer take the event's would have
		// its delivery discarded when due, not sent (see EventFilter):
		// named, it is refused; else it is left out.
		takes := func(c string) bool {
			for _, s := range e.subscriptions() {
				if s.Consumer == c {
					return s.Wants(ev.Type)
				}
			}
			return true
		}
		if r.Consumer != "" && !takes(r.Consumer) {
			return 0, fmt.Errorf("engine: replay %s: %w", r.EventID, &getpaid.FieldError{Field: "endpoint",
				Reason: fmt.Sprintf("%q does not take %s events now (its event types leave them out): a replay would discard its delivery, not send it", getpaid.ShownConsumer(r.Consumer), ev.Type),
				Err:    getpaid.ErrInvalidRequest})
		}
		consumers = slices.DeleteFunc(slices.Clone(consumers), func(c string) bool { return !takes(c) })
	}
	n := 0
	for _, c := range consumers {
		r.Consumer = c
		m, err := e.store.ReplayDeliveries(ctx, r)
		n += m
		if err != nil {
			return n, fmt.Errorf("engine: replay: %w", err)
		}
	}
	// What an operator replays goes now, to a consumer paused (gone, or
	// asking to be sent less) too.
	e.dispatcher.resume(consumers)
	return n, nil
}

// Backfill sends consumer (configured: "webhook:URL" or "listener:NAME")
// the events written before it took them, at or after since, of the types
// it takes, each it has no delivery of yet: an endpoint added to the
// configuration later gets the history its system missed. They are due now
// and go out as any others, a payment's in its order; a payment whose later
// events the consumer got already gets its earlier ones after them
// (consumers order by the payment's version the event carries, not its
// time, which a payment's first two events share, and dedupe by its id). Running it
// again sends nothing twice. since must be set: the whole outbox is asked
// for with a time before it; one after now is refused (no event is written
// then). It needs a store that is a
// getpaid.DeliveryBackfiller (else getpaid.ErrNotSupported).
func (e *Engine) Backfill(ctx context.Context, consumer string, since time.Time) (int, error) {
	if since.IsZero() {
		return 0, fmt.Errorf("engine: backfill: %w", &getpaid.FieldError{Field: "since", Reason: "name the time of the first event to send", Err: getpaid.ErrInvalidRequest})
	}
	if now := e.now(); since.After(now) {
		// No event is written at a time to come: 0 would read as "none
		// missed" to an operator who mistyped the year.
		return 0, fmt.Errorf("engine: backfill: %w", &getpaid.FieldError{Field: "since",
			Reason: fmt.Sprintf("%s is in the future (it is %s): no event is written then; name the time of the first event to send", since.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)), Err: getpaid.ErrInvalidRequest})
	}
	var sub *getpaid.Subscription
	for _, s := range e.subscriptions() {
		if s.Consumer == consumer {
			sub = &s
		}
	}
	if sub == nil {
		return 0, fmt.Errorf("engine: backfill: %w", e.notConsumer("events are not delivered to", consumer))
	}
	bf, ok := e.store.(getpaid.DeliveryBackfiller)
	if !ok {
		return 0, fmt.Errorf("engine: backfill: the store cannot: %w", getpaid.ErrNotSupported)
	}
	n, err := bf.BackfillDeliveries(ctx, getpaid.BackfillRequest{Consumer: consumer, Types: sub.Types, Since: since, Now: e.now()})
	if n > 0 {
		e.dispatcher.wake()
	}
	if err != nil {
		return n, fmt.Errorf("engine: backfill: %w", err)
	}
	return n, nil
}

// Discard retires the deliveries a consumer that events no longer go to (a
// webhook endpoint removed from the configuration, "webhook:URL", or a
// listener no longer added, "listener:NAME") left pending or dead: they
// become discarded, with the operator (by) named in their last error, are
// never sent, and leave the backlog, whose oldest pending age would
// otherwise grow for ever. A consumer events still go to is refused (its
// deliveries are replayed or wait for their retry), and so is a by that is
// not text of at most MaxName characters, or is blanks alone (as a
// resolver's name), and one nothing was ever delivered to (a misspelt
// endpoint). It answers how many it discarded; a store without
// getpaid.DeliveryDiscarder answers getpaid.ErrNotSupported.
func (e *Engine) Discard(ctx context.Context, consumer, by string) (int, error) {
	if consumer == "" {
		return 0, fmt.Errorf("engine: discard: %w", &getpaid.FieldError{Field: "endpoint", Reason: "name the endpoint (or listener) removed from the configuration", Err: getpaid.ErrInvalidRequest})
	}
	if slices.Contains(e.consumerNames(), consumer) {
		return 0, fmt.Errorf("engine: discard: %w", &getpaid.FieldError{Field: "endpoint",
			Reason: fmt.Sprintf("events still go to %q: remove it from the configuration first (its dead deliveries can be replayed)", getpaid.ShownConsumer(consumer)), Err: getpaid.ErrInvalidRequest})
	}
	dd, ok := e.store.(getpaid.DeliveryDiscarder)
	if !ok {
		return 0, fmt.Errorf("engine: discard: the store cannot: %w", getpaid.ErrNotSupported)
	}
	// Kept in every delivery discarded: checked as an operation's resolver
	// is (text without control characters, at most MaxName characters).
	if err := checkText("by", by, MaxName); err != nil {
		return 0, fmt.Errorf("engine: discard: %w", err)
	}
	if by != "" && strings.TrimSpace(by) == "" { // blanks alone name no one, as for ResolveOperation
		return 0, fmt.Errorf("engine: discard: %w", &getpaid.FieldError{Field: "by", Reason: "blanks alone name no one: say who discards", Err: getpaid.ErrInvalidRequest})
	}
	if by == "" {
		by = "an operator"
	}
	n, err := dd.DiscardDeliveries(ctx, getpaid.DiscardRequest{Consumer: consumer, Now: e.now(),
		Reason: "discarded by " + by + ": no longer in the configuration"})
	if err != nil {
		return n, fmt.Errorf("engine: discard: %w", err)
	}
	if n == 0 {
		// Nothing was ever delivered to it: a misspelt endpoint (a
		// trailing slash) must not read as "done".
		page, err := e.store.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: consumer, Limit: 1})
		if err == nil && len(page.Deliveries) == 0 {
			return 0, fmt.Errorf("engine: discard: %w", &getpaid.FieldError{Field: "endpoint",
				Reason: fmt.Sprintf("no event was ever delivered to %q (is it spelt as it was configured?)", getpaid.ShownConsumer(consumer)), Err: getpaid.ErrInvalidRequest})
		}
	}
	return n, nil
}
