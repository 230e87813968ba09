package getpaid

import (
	"context"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// DeliveryState is where the delivery of one event to one consumer stands.
type DeliveryState string

// Delivery states: pending (not yet acknowledged; retried on a schedule),
// delivered (the consumer acknowledged it), dead (the schedule ran out; an
// operator may replay it) and discarded (never sent, and counted in no
// backlog: its consumer was removed from the configuration and an operator
// retired what it had left, see DiscardRequest, or its consumer no longer
// takes events of its type, see DeliveryResult.Discarded; a replay of its
// event while the consumer is configured, and takes its type, sends it).
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryDead      DeliveryState = "dead"
	DeliveryDiscarded DeliveryState = "discarded"
)

// Valid reports whether s is one of the four states.
func (s DeliveryState) Valid() bool {
	return s == DeliveryPending || s == DeliveryDelivered || s == DeliveryDead || s == DeliveryDiscarded
}

// Delivery is the state of one outbox event's delivery to one consumer (an
// in-process listener, "listener:NAME", or a merchant webhook endpoint,
// "webhook:URL"). Each consumer has its own: one failing consumer never holds
// up another.
type Delivery struct {
	ID          string // the event id and the consumer, joined by "|"
	EventID     string
	PaymentID   string
	Consumer    string
	State       DeliveryState
	Attempts    int
	NextAt      time.Time // when the next attempt is due
	LastStatus  int       // HTTP status of the last attempt (0: none, or not HTTP)
	LastError   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DeliveredAt time.Time

	// WaitsFor is, for a pending delivery, the id of the earliest event of
	// its payment still pending to its consumer when that is another event:
	// a consumer gets a payment's events in order, so this one is not sent
	// before that one is delivered, dead or discarded. Listings fill it
	// (engine.Engine.Deliveries); stores leave it empty.
	WaitsFor string
}

// DeliveryID is the id of event's delivery to consumer.
func DeliveryID(eventID, consumer string) string { return eventID + "|" + consumer }

// Attempt is one try at a delivery.
type Attempt struct {
	At       time.Time
	Status   int // HTTP status (0: none)
	Error    string
	Duration time.Duration
}

// ClaimRequest asks a store for the deliveries due now for some consumers.
// Each one returned is leased to Owner until Now+Lease: no other caller (in
// any process) gets it meanwhile, and a crashed owner's leases simply run
// out. A delivery is never due while an earlier pending delivery of the same
// payment to the same consumer exists: a consumer gets a payment's events in
// the order of its changes.
type ClaimRequest struct {
	Owner     string
	Now       time.Time
	Lease     time.Duration
	Limit     int      // at most this many in all (0: no limit)
	Consumers []string // only these consumers' deliveries
	// Room caps the deliveries of one consumer: at most Room[c] of
	// consumer c's (a consumer not in it: only Limit caps it). A caller
	// that keeps a bound on each consumer's deliveries in flight asks for
	// no more than each has room for.
	Room map[string]int
}

// Check refuses a claim with no Owner, as every store does before leasing
// anything: leases are told apart by their owner only, so callers without
// one would all be the same owner, each able to record results over the
// others' leases.
func (r ClaimRequest) Check() error {
	if r.Owner == "" {
		return fmt.Errorf("a delivery claim names no owner: %w", ErrInvalidRequest)
	}
	return nil
}

// CheckResults refuses a batch of results one of which names no Owner, as
// every store does before recording any of them (the whole batch is
// refused): a result with no owner would be recorded over any delivery no
// one holds a lease on, never claimed or waiting for its next attempt.
func CheckResults(results []DeliveryResult) error {
	for _, r := range results {
		if r.Owner == "" {
			return fmt.Errorf("a delivery result (delivery %s) names no owner: %w", r.ID, ErrInvalidRequest)
		}
	}
	return nil
}

// RoomFor is how many of consumer's deliveries r may return: Room's cap, or
// -1 for none.
func (r ClaimRequest) RoomFor(consumer string) int {
	if n, ok := r.Room[consumer]; ok {
		return max(n, 0)
	}
	return -1
}

// DeliveryLease is a lease asked for with a change (Mutation.Lease): the
// deliveries it writes are leased to Owner until Until, Now being the
// caller's clock (as ClaimRequest's).
type DeliveryLease struct {
	Owner string
	Now   time.Time
	Until time.Time
}

// PlanLeases decides which of res.Deliveries a change asking for lease
// (Mutation.Lease) leases, the one rule every store follows: per consumer,
// none when a pending delivery of the payment to that consumer written
// before the change is not leased to lease.Owner until after lease.Now, and
// otherwise every one, each After the one before it (the first after the
// latest of those earlier ones). earlier reports, once per consumer, whether
// such a delivery holds the change's back, and else the id of the latest
// earlier pending one ("" for none); a store passes nil for a new payment,
// which has none. It sets res.Leased and reports, in the order of
// res.Deliveries, which are leased.
func (res *UpdateResult) PlanLeases(lease *DeliveryLease, earlier func(consumer string) (held bool, latest string, err error)) ([]bool, error) {
	res.Leased = nil
	if lease == nil || len(res.Deliveries) == 0 {
		return nil, nil
	}
	type chain struct {
		held  bool
		after string
	}
	chains := map[string]*chain{}
	leased := make([]bool, len(res.Deliveries))
	for i, d := range res.Deliveries {
		ch := chains[d.Consumer]
		if ch == nil {
			ch = &chain{}
			if earlier != nil {
				var err error
				if ch.held, ch.after, err = earlier(d.Consumer); err != nil {
					return nil, err
				}
			}
			chains[d.Consumer] = ch
		}
		if ch.held {
			continue
		}
		j := slices.IndexFunc(res.Events, func(ev Event) bool { return ev.ID == d.EventID })
		if j < 0 {
			return nil, fmt.Errorf("delivery %s of an event not written with it: %w", d.ID, ErrInvalidRequest)
		}
		leased[i] = true
		res.Leased = append(res.Leased, ClaimedDelivery{Delivery: d, Event: res.Events[j], After: ch.after})
		ch.after = d.ID
	}
	return leased, nil
}

// ClaimedDelivery is a leased delivery with the event to deliver.
type ClaimedDelivery struct {
	Delivery Delivery
	Event    Event
	// After is, for a delivery leased with its change (see
	// Mutation.Lease), the id of the latest pending delivery of its payment
	// to its consumer when it was written (leased to the same owner): the
	// one to attempt before it. Empty when there was none, and for every
	// delivery claimed.
	After string
}

// DeliveryResult is the outcome of one attempt at a leased delivery. A
// result whose lease is no longer held by Owner is ignored: the delivery was
// given to someone else.
type DeliveryResult struct {
	ID        string
	Owner     string
	Delivered bool // the consumer acknowledged it
	Dead      bool // not delivered, and the schedule ran out
	// Discarded: not sent, and never to be: its consumer no longer takes
	// events of its type (a webhook endpoint's events: narrowed since it
	// was written). Attempt says why, with no status.
	Discarded bool
	// Local: the attempt failed on this machine before anything was sent
	// (out of file descriptors when connecting), not at the consumer. It is
	// recorded with the attempts but not counted (Delivery.Attempts, which
	// places the delivery in its retry schedule): the consumer's schedule is
	// not used up by getpaid's own failures.
	Local   bool
	NextAt  time.Time // when not delivered nor dead: the next attempt
	Attempt Attempt
	// Release gives the lease back without an attempt (the other fields
	// are ignored): the delivery stays as it was, due when it was, with no
	// attempt recorded, and may be claimed at once. The owner did not
	// attempt it: an earlier delivery of its payment to its consumer failed
	// first, its consumer had no room, or the lease was too short for one.
	Release bool
}

// DeliveryFilter selects deliveries for Store.Deliveries, newest first. Zero
// fields do not filter.
type DeliveryFilter struct {
	EventID   string
	PaymentID string
	Consumer  string
	State     DeliveryState
	Limit     int // 0 means DefaultPageSize; at most MaxPageSize
	Cursor    string
}

// Matches reports whether d passes every set field of f but the cursor and
// limit.
func (f DeliveryFilter) Matches(d *Delivery) bool {
	return (f.EventID == "" || d.EventID == f.EventID) &&
		(f.PaymentID == "" || d.PaymentID == f.PaymentID) &&
		(f.Consumer == "" || d.Consumer == f.Consumer) &&
		(f.State == "" || d.State == f.State)
}

// DeliveryPage is one page of a delivery listing.
type DeliveryPage struct {
	Deliveries []*Delivery
	NextCursor string
}

// ReplayRequest makes deliveries pending again, due at Now, with a fresh
// schedule: the deliveries of EventID (all of its consumers, or Consumer's),
// or with DeadOnly every dead delivery (of Consumer, if set).
//
// With Waiting it asks instead that every pending delivery waiting for a
// retry (of Consumer, if set) be due at Now: for an endpoint that is back
// after an outage, without waiting out the backoff. Its attempts so far,
// and so its place in the schedule, stay; one in flight (leased) is left
// alone.
type ReplayRequest struct {
	EventID string
	// Consumer is a consumer's name as its deliveries carry it:
	// "listener:NAME" for a listener added with OnEventNamed("NAME", ...),
	// "webhook:URL" for an endpoint.
	Consumer string
	DeadOnly bool
	Waiting  bool
	// Now is the store's clock; the engine's Replay sets it from its own.
	Now time.Time
}

// Names reports whether the replay request r names d: a delivery that is not
// pending, of r's event (or, with DeadOnly, dead), of r's consumer if set. A
// request with neither an event nor DeadOnly names nothing. With Waiting, it
// names the pending deliveries due after Now (whether one is in flight is
// for the store to check).
func (r ReplayRequest) Names(d *Delivery) bool {
	if r.Consumer != "" && d.Consumer != r.Consumer {
		return false
	}
	if r.Waiting {
		return d.State == DeliveryPending && d.NextAt.After(r.Now)
	}
	if d.State == DeliveryPending {
		return false
	}
	if r.DeadOnly && d.State != DeliveryDead {
		return false
	}
	if r.EventID == "" {
		return r.DeadOnly
	}
	return d.EventID == r.EventID
}

// DiscardRequest retires the deliveries of Consumer that are pending or
// dead: a consumer removed from the configuration would otherwise leave them
// pending for ever (nobody sends them, the backlog's oldest age grows) or
// dead (counted until replayed, which no one can be to it). They become
// discarded with Reason as their last error, kept for the record; one in
// flight is let go (its result is ignored, as for a lease run out).
type DiscardRequest struct {
	Consumer string // "webhook:URL" or "listener:NAME", as deliveries carry it
	Reason   string
	Now      time.Time // the caller's clock (engine.Discard sets it): the lease ends before it
}

// Names reports whether the discard request r names d.
func (r DiscardRequest) Names(d *Delivery) bool {
	return d.Consumer == r.Consumer && (d.State == DeliveryPending || d.State == DeliveryDead)
}

// DeliveryDiscarder is the optional Store capability behind
// engine.Discard: it marks the deliveries r names discarded, in one
// statement, and says how many.
type DeliveryDiscarder interface {
	DiscardDeliveries(ctx context.Context, r DiscardRequest) (int, error)
}

// BackfillRequest asks for deliveries of events written before a consumer
// took them (a webhook endpoint added to the configuration later): a
// pending delivery, due at Now, of every event at or after Since of the
// Types it takes (nil: every type) that has no delivery to Consumer yet.
type BackfillRequest struct {
	Consumer string
	Types    []EventType
	Since    time.Time
	Now      time.Time
}

// Names reports whether the backfill request r names ev (whether ev has a
// delivery to r.Consumer already is for the store to check).
func (r BackfillRequest) Names(ev *Event) bool {
	return !ev.At.Before(r.Since) && (len(r.Types) == 0 || slices.Contains(r.Types, ev.Type))
}

// DeliveryBackfiller is the optional Store capability behind
// engine.Backfill: it writes the deliveries r asks for, in batches of
// events (each committed on its own, so a long outbox never holds the
// store's writes up for long), and says how many. Running it again writes
// none of those again.
type DeliveryBackfiller interface {
	BackfillDeliveries(ctx context.Context, r BackfillRequest) (int, error)
}

// MaxAttemptError is how many bytes of an attempt's error a delivery keeps
// (Record cuts a longer one between characters and ends it with "…"): a
// consumer's error may quote anything it was answered, and it is stored,
// logged and shown with every listing of the delivery.
const MaxAttemptError = 1000

// ClipText is s cut to at most n bytes between characters, with "…" when
// cut: how much of outside text (a consumer's error, an endpoint's answer)
// is kept, logged and shown.
func ClipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Record applies the outcome of an attempt to d at time now: one attempt
// more (not for a discard nor a local failure: nothing was sent), its status and error kept,
// and the state and schedule it says. It first makes r's attempt error
// text every store keeps (a consumer's error may quote anything; see
// storableText) and at most MaxAttemptError bytes long, so a store writes
// r.Attempt as it is after Record. A Release changes nothing.
func (r *DeliveryResult) Record(d *Delivery, now time.Time) {
	if r.Release {
		return // no attempt: nothing of d changes but its lease
	}
	r.Attempt.Error = ClipText(storableText(r.Attempt.Error), MaxAttemptError)
	if !r.Discarded && !r.Local {
		d.Attempts++ // a discard or a local failure is kept with the attempts, saying why, but nothing was sent
	}
	d.LastStatus, d.LastError, d.UpdatedAt = r.Attempt.Status, r.Attempt.Error, now
	switch {
	case r.Delivered:
		d.State, d.DeliveredAt = DeliveryDelivered, r.Attempt.At
	case r.Dead:
		d.State = DeliveryDead
	case r.Discarded:
		d.State = DeliveryDiscarded
	default:
		d.NextAt = r.NextAt
	}
}

// EventFilter selects outbox events for Store.Events, newest first. Zero
// fields do not filter.
type EventFilter struct {
	PaymentID string
	Limit     int // 0 means DefaultPageSize; at most MaxPageSize
	Cursor    string
}

// EventPage is one page of an event listing.
type EventPage struct {
	Events     []Event
	NextCursor string
}

// Subscription is a consumer and the event types it takes (nil: all).
type Subscription struct {
	Consumer string
	Types    []EventType
}

// Wants reports whether s takes events of type t.
func (s Subscription) Wants(t EventType) bool {
	return len(s.Types) == 0 || slices.Contains(s.Types, t)
}
