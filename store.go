package getpaid

import (
	"context"
	"strconv"
	"time"
)

// Store persists payments, their history, applied broker event ids and the
// outbox of events for listeners. UpdatePayment is the only way a payment
// changes after it is created. Every Store must pass storetest.Run.
type Store interface {
	// CreatePayment inserts p (status new) and a "payment.created" outbox
	// event in one transaction. With opts.OneLivePerOrder it refuses, with
	// ErrLivePaymentExists, an order that already has a payment that is
	// neither failed nor cancelled.
	CreatePayment(ctx context.Context, p *Payment, opts CreateOptions) error
	// Payment loads one payment; ErrNotFound if there is none.
	Payment(ctx context.Context, id string) (*Payment, error)
	// PaymentByExternalID finds a payment by its broker's id; ErrNotFound if none.
	PaymentByExternalID(ctx context.Context, backend, externalID string) (*Payment, error)
	// PaymentsByOrder lists an order's payments, oldest first.
	PaymentsByOrder(ctx context.Context, orderID string) ([]*Payment, error)
	// History lists a payment's status transitions, oldest first.
	History(ctx context.Context, paymentID string) ([]Transition, error)
	// UpdatePayment is the one mutation path. In one transaction it: refuses
	// with ErrDuplicateEvent a mutation whose EventKey was already applied
	// (without calling Apply); loads the payment (ErrNotFound); calls Apply;
	// when Apply reports a change, persists the payment with Version+1, writes
	// a history row if the status moved and a "payment.status_changed" outbox
	// event; records EventKey (also when nothing changed). If Apply fails,
	// nothing is written and its error is returned. Apply may be called more
	// than once and must only change the payment it is given.
	UpdatePayment(ctx context.Context, id string, m Mutation) (*UpdateResult, error)
	// PendingEvents lists up to limit outbox events not yet marked delivered,
	// oldest first, starting after the event with id after ("" = from the
	// oldest), so a caller can page past events it cannot deliver yet.
	PendingEvents(ctx context.Context, after string, limit int) ([]Event, error)
	// MarkDelivered marks outbox events delivered.
	MarkDelivered(ctx context.Context, ids []string) error
	// Close releases the store's resources.
	Close() error
}

// StaleLister is an optional Store capability: payments still waiting on
// their broker (prepared or charge_started) that have not changed since
// updatedBefore and were created after createdAfter, least recently updated
// first. The engine polls their brokers, so a payment whose notifications
// were lost is still finished.
type StaleLister interface {
	StalePayments(ctx context.Context, updatedBefore, createdAfter time.Time, limit int) ([]*Payment, error)
}

// CreateOptions are policies checked when a payment is created, and an
// optional first change made in the same transaction.
type CreateOptions struct {
	OneLivePerOrder bool
	// Then, if set, is applied to the new payment in the same transaction,
	// exactly as UpdatePayment applies a mutation: its EventKey is recorded,
	// and a status move writes a history row and a status event. p is updated
	// to the result. The engine uses it to record a payment already
	// registered at its broker (new -> prepared) with one commit.
	Then *Mutation
}

// Mutation is one change to one payment.
type Mutation struct {
	// EventKey makes the mutation apply at most once ("dummy:evt_123");
	// empty for changes that are not broker events.
	EventKey string
	// Cause is recorded in the history row ("captured (COMPLETED)").
	Cause string
	// Apply changes the payment and reports whether it changed anything.
	Apply func(p *Payment) (changed bool, err error)
}

// UpdateResult is what UpdatePayment did.
type UpdateResult struct {
	Payment *Payment // the payment after the mutation
	Changed bool     // whether anything was persisted
	Events  []Event  // outbox events written (status changes)
}

// EventType names an outbox event.
type EventType string

// Event types delivered to listeners.
const (
	EventPaymentCreated EventType = "payment.created"
	EventStatusChanged  EventType = "payment.status_changed"
)

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
	At        time.Time `json:"at"`
}

// NewStatusEvent builds the outbox event for a status change of p (already at
// its new Version); stores use it so that every store writes the same event.
// Its ID is derived from the payment's id and version, which a status change
// always increments.
func NewStatusEvent(p *Payment, from Status, at time.Time) Event {
	return Event{
		ID: "evt_" + p.ID + "_v" + strconv.FormatInt(p.Version, 10), Type: EventStatusChanged, PaymentID: p.ID, OrderID: p.OrderID,
		Backend: p.Backend, From: from, To: p.Status, Amount: p.Amount,
		Captured: p.Money(p.Captured), At: at,
	}
}

// NewCreatedEvent builds the outbox event for a new payment. Its ID is derived
// from the payment's, so the engine can dispatch the event a store wrote
// without reading it back.
func NewCreatedEvent(p *Payment, at time.Time) Event {
	return Event{
		ID: "evt_created_" + p.ID, Type: EventPaymentCreated, PaymentID: p.ID, OrderID: p.OrderID,
		Backend: p.Backend, To: p.Status, Amount: p.Amount, Captured: p.Money(p.Captured), At: at,
	}
}
