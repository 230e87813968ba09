package getpaid

import (
	"context"
	"time"
)

// Service is the payment service as its front ends (the HTTP layer, the
// operator console, tools) see it. The engine implements it; front ends
// depend on this interface, never on the engine or a store.
type Service interface {
	// Registry is the set of enabled backends.
	Registry() *Registry
	// Pay creates a payment and registers it at its broker in one step; see
	// engine.Engine.Pay.
	Pay(ctx context.Context, req PayRequest) (*Payment, error)
	// PayOrder reads an order from src, checks it may be paid now, and pays it.
	PayOrder(ctx context.Context, src OrderSource, orderID, backend, clientIP string) (*Payment, error)
	// Start registers a payment created earlier (status new) at its broker.
	Start(ctx context.Context, id, clientIP string) (*Payment, error)
	// Payment loads one payment.
	Payment(ctx context.Context, id string) (*Payment, error)
	// History lists a payment's status transitions, oldest first.
	History(ctx context.Context, id string) ([]Transition, error)
	// ViewPayment loads a payment with its history and all its money
	// operations (newest first); see engine.Engine.ViewPayment.
	ViewPayment(ctx context.Context, id string) (*PaymentView, error)
	// Payments lists payments, newest first, a page at a time.
	Payments(ctx context.Context, f PaymentFilter) (*PaymentPage, error)
	// HandleCallback verifies, deduplicates and applies a broker notification.
	HandleCallback(ctx context.Context, backend string, req *CallbackRequest) (*CallbackResult, error)
	// Poll asks the broker for the payment's status and applies it.
	Poll(ctx context.Context, id string) (*Payment, error)
	// Capture, Release, Refund and Cancel ask the payment's broker for a
	// money operation, checked against the status machine first.
	Capture(ctx context.Context, req ActionRequest) (*ActionResult, error)
	Release(ctx context.Context, req ActionRequest) (*ActionResult, error)
	Refund(ctx context.Context, req ActionRequest) (*ActionResult, error)
	Cancel(ctx context.Context, req ActionRequest) (*ActionResult, error)
	// AcceptAdvance accepts money the broker holds that does not match the
	// payment (Payment.Advance): confirmed with the broker, it counts as
	// captured. RejectAdvance leaves it to be returned: the payment fails.
	AcceptAdvance(ctx context.Context, req ActionRequest) (*ActionResult, error)
	RejectAdvance(ctx context.Context, req ActionRequest) (*ActionResult, error)

	// Operation loads one money operation; Operations lists them.
	Operation(ctx context.Context, id string) (*Operation, error)
	Operations(ctx context.Context, f OperationFilter) (*OperationPage, error)
	// ResolveOperation records an operator's decision on an operation that
	// is not final, and applies it to the payment.
	ResolveOperation(ctx context.Context, req ResolveRequest) (*ActionResult, error)

	// Event loads one outbox event; Events lists them; Deliveries lists
	// their deliveries to consumers; Attempts lists a delivery's attempts.
	Event(ctx context.Context, id string) (*Event, error)
	Events(ctx context.Context, f EventFilter) (*EventPage, error)
	Deliveries(ctx context.Context, f DeliveryFilter) (*DeliveryPage, error)
	Attempts(ctx context.Context, deliveryID string) ([]Attempt, error)
	// Replay delivers events again (see ReplayRequest) and reports how many
	// deliveries it made pending.
	Replay(ctx context.Context, r ReplayRequest) (int, error)
	// Discard retires the pending and dead deliveries of a consumer events
	// no longer go to (see DiscardRequest), by names who; a consumer events
	// still go to is refused. It reports how many it discarded.
	Discard(ctx context.Context, consumer, by string) (int, error)
}

// OperationChecker is an optional Service capability, discovered by a type
// assertion as database/sql discovers a driver's: CheckOperation makes an
// operation not yet settled due for its next check with its broker now
// (see engine.Engine.CheckOperation, which implements it). It is not part of
// Service so that a Service implemented outside this module (a fake in a
// test, a wrapper) keeps compiling; front ends offer the check only when
// their Service has it: the JSON API answers 501 to
// POST /api/v1/operations/{id}/check, and the operator console shows no
// "Check with the broker now" button. A wrapper around a Service should
// implement it only when what it wraps does.
type OperationChecker interface {
	CheckOperation(ctx context.Context, id string) (*Operation, error)
}

// OrderValidator is an optional Service capability, discovered by a type
// assertion as OperationChecker is (and for the same reason not part of
// Service): CheckOrder refuses an order no payment can be made of, whichever
// backend is chosen (its id, amount, description, buyer or return URL
// breaking the rules Pay applies), with a *FieldError naming the field (see
// engine.Engine.CheckOrder, which implements it). The payment-method form
// uses it to offer no method for such an order, which could only fail.
type OrderValidator interface {
	CheckOrder(o *Order) error
}

// EventBackfiller is an optional Service capability, discovered by a type
// assertion as OperationChecker is (and for the same reason not part of
// Service): Backfill sends a consumer events were written before it took
// them (a webhook endpoint added to the configuration later), those at or
// after since of the types it takes, each it has no delivery of yet (see
// engine.Engine.Backfill, which implements it). The JSON API answers 501 to
// POST /api/v1/events/backfill when the Service has none.
type EventBackfiller interface {
	Backfill(ctx context.Context, consumer string, since time.Time) (int, error)
}

// SecondTransactionLister is an optional Service capability, discovered by
// a type assertion as OperationChecker is (and for the same reason not part
// of Service): SecondTransactions lists the transactions reported as second
// transactions of payment id (a buyer who paid twice: the callback's
// outcome was OutcomeSecondTransaction), by the broker's id in byte order.
// Their money is at the broker, counted nowhere in getpaid: the operator
// refunds it there or settles it with the buyer. The console shows them on
// the payment's page. See engine.Engine.SecondTransactions, which
// implements it (with ErrNotSupported when its store is no
// AppliedKeyLister).
type SecondTransactionLister interface {
	SecondTransactions(ctx context.Context, paymentID string) ([]SecondTransaction, error)
}

// SecondTransaction is a broker transaction reported as a second
// transaction of a payment (see SecondTransactionLister).
type SecondTransaction struct {
	ExternalID string // the broker's id of the transaction
	// Refunded: the broker has since reported money going back from it
	// (all or part of it: a notification of it refunded, which getpaid
	// did not count as the payment's).
	Refunded bool
	// Confirmed: getpaid confirmed it with a broker whose money it
	// confirms (getpaid.CallbackConfirmer: Przelewy24's verify), as two
	// notifications were confirmed at once before either was written:
	// the broker keeps its money, which is to be refunded there, where
	// it gives back by itself a second transaction getpaid did not
	// confirm.
	Confirmed bool
}

// PauseReporter is an optional Service capability, discovered by a type
// assertion as OperationChecker is (and for the same reason not part of
// Service): Paused lists the consumers this process sends nothing to for
// now (see engine.Engine.Paused, which implements it). The JSON API answers
// 501 to GET /api/v1/events/paused when the Service has none.
type PauseReporter interface {
	Paused() []ConsumerPause
}

// ConsumerPause is a consumer one process sends no events to until a time:
// its webhook endpoint answered 410 Gone (it wants no more: an hour, or
// until a replay through that process), or asked to be sent less (429, 502
// or 504: for its Retry-After, or the retry schedule's first wait). A pause
// lives in the memory of the process that got the answer; each instance
// pauses on its own answers. The consumer's deliveries meanwhile stay
// pending.
type ConsumerPause struct {
	Consumer string
	Until    time.Time
	Gone     bool // it answered 410 Gone; otherwise it asked to be sent less
	Status   int  // the HTTP status of the answer that paused it (0: not HTTP)
}

// PayRequest asks for a new payment of an order through a backend.
type PayRequest struct {
	OrderID     string
	Backend     string
	Amount      Money
	Description string
	Buyer       Buyer
	ReturnURL   string // the order's page (absolute http(s) URL); optional
	ClientIP    string // the buyer's IP address without a port ("203.0.113.7"); optional
	// IdempotencyKey, if set, makes a retried request (one whose answer
	// was lost: a timeout, a process killed after its commit) return the
	// payment the first one created instead of creating another. A key
	// belongs to one request: used again with another order, backend,
	// amount, description, buyer or return URL, it is refused
	// (ErrInvalidRequest). Requests with one key at once in one engine
	// take turns: the broker is asked once. Optional; printable ASCII, at
	// most 255 bytes.
	IdempotencyKey string
}

// ActionRequest asks for a money operation on a payment.
type ActionRequest struct {
	PaymentID string
	// Amount is what to capture or refund; nil means all that can be (the
	// whole hold, everything refundable). Release, cancel and the advance
	// decisions (AcceptAdvance, RejectAdvance) take none: an
	// amount is refused (a FieldError naming "amount", ErrInvalidAmount and
	// ErrInvalidRequest), or the backend that cannot do it at all is said
	// first (ErrNotSupported, as without an amount).
	Amount *Money
	// IdempotencyKey makes a retried request return the first one's outcome
	// instead of asking the broker again. Keys belong to the payment: the
	// same key on another payment is another request.
	IdempotencyKey string
}

// ActionResult is what a money operation request did.
type ActionResult struct {
	Payment   *Payment   // the payment after the request
	Operation *Operation // the operation the request created, or found by its key
}

// ResolveRequest is an operator's decision on a money operation in doubt.
type ResolveRequest struct {
	OperationID string
	As          OperationState // OpSucceeded or OpFailed
	Note        string         // why (required)
	By          string         // who ("api", a console user; required)
	// Seen, when set, is the operation as the operator was shown it: its
	// UpdatedAt, as the store returned it. One changed since (what the
	// broker said of it next, a check, another resolution) is refused,
	// ErrConflict with the operation as it is, checked in the write that
	// resolves it: nobody acknowledges a contradiction, or decides on a
	// doubt, they were not shown. Zero: no precondition.
	Seen time.Time
}

// Outcome says what a callback did.
type Outcome string

// Callback outcomes. All of them are acknowledged to the broker.
const (
	OutcomeApplied   Outcome = "applied"   // the payment changed
	OutcomeNoChange  Outcome = "no_change" // valid, but nothing new (late, equal, noise)
	OutcomeDuplicate Outcome = "duplicate" // this event id was applied to the payment before
	OutcomeUnknown   Outcome = "unknown"   // valid, but names no payment of ours
	// OutcomeSecondTransaction: valid, but a capture of another broker
	// transaction than the one that paid the payment, or money it holds
	// for another amount, or an advance of another transaction than the
	// one whose advance the payment holds, of the amount it holds (a
	// buyer who paid twice). Not counted: the money is at the broker, to
	// refund there.
	// A refund of such a transaction (one getpaid did not ask for) is
	// not counted either (the payment's own money did not go back); it is
	// OutcomeNoChange, logged as a warning.
	OutcomeSecondTransaction Outcome = "second_transaction"
)

// CallbackResult is what HandleCallback did; the HTTP layer acknowledges it
// with the broker's expected body.
type CallbackResult struct {
	Outcome     Outcome
	Payment     *Payment
	Observation *Observation
	AckType     string // content type of the acknowledgement
	AckBody     []byte // acknowledgement body the broker expects
}
