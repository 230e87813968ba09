package getpaid

import (
	"strconv"
	"strings"
	"time"
)

// EventType names an outbox event.
type EventType string

// Event types delivered to listeners.
const (
	EventPaymentCreated EventType = "payment.created"
	EventStatusChanged  EventType = "payment.status_changed"
	// EventAmountsChanged is money moving without a status change: a
	// second partial refund made in the broker's panel (partially_refunded
	// stays; one asked through the engine goes to refund_started and back,
	// two EventStatusChanged), a partial capture of a hold that stays
	// pre_auth. From and To are the status it keeps.
	EventAmountsChanged EventType = "payment.amounts_changed"
)

// EventTypes are every event type, in the order of the README.
func EventTypes() []EventType {
	return []EventType{EventPaymentCreated, EventStatusChanged, EventAmountsChanged}
}

// Event is an outbox record: delivered at least once to listeners after the
// transaction that wrote it commits. Listeners dedupe by ID.
type Event struct {
	ID        string    `json:"id"`
	Type      EventType `json:"type"`
	PaymentID string    `json:"payment_id"`
	OrderID   string    `json:"order_id"`
	Backend   string    `json:"backend"`
	From      Status    `json:"from,omitempty"`
	To        Status    `json:"to"`
	Amount    Money     `json:"amount"`   // the payment's required amount
	Captured  Money     `json:"captured"` // cumulative captured at the time
	Refunded  Money     `json:"refunded"` // cumulative refunded at the time
	At        time.Time `json:"at"`
	// Cause is why the status changed, as the history row says ("captured
	// (COMPLETED)", "expired"); empty on payment.created.
	Cause string `json:"cause,omitempty"`
}

// NewStatusEvent builds the outbox event for a status change of p (already at
// its new Version) for cause; stores use it so that every store writes the
// same event. Its ID is derived from the payment's id and version, which a
// status change always increments.
func NewStatusEvent(p *Payment, from Status, at time.Time, cause string) Event {
	return changeEvent(EventStatusChanged, p, from, at, cause)
}

// RecordedBy reports whether e is t's status event: a payment.status_changed
// event with t's from, to, time and cause, as PlanUpdate writes with every
// status change. It says all t does, so a store may keep the event as t's
// history row instead of writing both (the SQLite store does).
func (t Transition) RecordedBy(e Event) bool {
	return e.Type == EventStatusChanged && e.From == t.From && e.To == t.To && e.At.Equal(t.At) && e.Cause == t.Cause
}

// NewAmountsEvent builds the outbox event for p's captured or refunded
// amount changing while its status stays (EventAmountsChanged); its ID is
// derived as NewStatusEvent's, from the version the change made.
func NewAmountsEvent(p *Payment, at time.Time, cause string) Event {
	return changeEvent(EventAmountsChanged, p, p.Status, at, cause)
}

func changeEvent(t EventType, p *Payment, from Status, at time.Time, cause string) Event {
	return Event{
		ID: "evt_" + p.ID + "_v" + strconv.FormatInt(p.Version, 10), Type: t, PaymentID: p.ID, OrderID: p.OrderID,
		Backend: p.Backend, From: from, To: p.Status, Amount: p.Amount,
		Captured: p.Money(p.Captured), Refunded: p.Money(p.Refunded), At: at, Cause: cause,
	}
}

// PaymentVersion is the version of its payment that the change e records
// made: 1 for payment.created, higher for each later change, but not always
// by one, as some changes (an operation starting) write no event (read from
// e's ID, which NewCreatedEvent, NewStatusEvent and NewAmountsEvent derive
// from it); 0 for an ID of another shape, which getpaid never writes. A
// consumer keeping a payment's state from its events applies one only when
// its version is above the last it applied: a repeat, or a replay of an
// older event, then changes nothing.
func (e Event) PaymentVersion() int64 {
	if e.Type == EventPaymentCreated {
		if e.ID == "evt_created_"+e.PaymentID {
			return 1
		}
		return 0
	}
	rest, ok := strings.CutPrefix(e.ID, "evt_"+e.PaymentID+"_v")
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != rest {
		return 0
	}
	return n
}

// NewCreatedEvent builds the outbox event for a new payment. Its ID is derived
// from the payment's, so the engine can dispatch the event a store wrote
// without reading it back.
func NewCreatedEvent(p *Payment, at time.Time) Event {
	return Event{
		ID: "evt_created_" + p.ID, Type: EventPaymentCreated, PaymentID: p.ID, OrderID: p.OrderID,
		Backend: p.Backend, To: p.Status, Amount: p.Amount, Captured: p.Money(p.Captured), Refunded: p.Money(p.Refunded), At: at,
	}
}
