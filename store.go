package getpaid

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Store persists payments, their history, applied broker event ids, money
// operations, the outbox of events and their deliveries to each consumer.
// UpdatePayment is the only way a payment (and its operations) changes after
// it is created; what a change writes is decided by PlanCreate and
// PlanUpdate, so every store writes the same rows. Several handles (and
// several processes) may share one database: a store must keep every rule
// below across them. Every Store must pass storetest.Run.
//
// Times are kept to the microsecond (PostgreSQL's resolution): a time a
// store is given (a delivery's next attempt, an operation's next check) may
// be read back without its nanoseconds.
//
// Errors wrap ErrNotFound, ErrDuplicateEvent, ErrLivePaymentExists,
// ErrConflict, ErrInvalidRequest (a bad filter or cursor), the error a
// mutation's Apply returned, or ErrUnavailable when the database cannot be
// reached or is busy beyond its timeout (nothing was changed; try again).
type Store interface {
	// CreatePayment inserts p (status new) with what PlanCreate decides, in
	// one transaction, and returns that: the payment as stored and the events
	// written. It refuses a taken id, external id or create key (a
	// non-empty CreateKey another payment has) with ErrConflict and,
	// with opts.OneLivePerOrder, an order that already has a live payment
	// created under that policy with ErrLivePaymentExists (a constraint, not
	// a read then an insert). p itself is not changed.
	CreatePayment(ctx context.Context, p *Payment, opts CreateOptions) (*UpdateResult, error)
	// Payment loads one payment; ErrNotFound if there is none.
	Payment(ctx context.Context, id string) (*Payment, error)
	// PaymentByExternalID finds a payment by its broker's id; ErrNotFound if none.
	PaymentByExternalID(ctx context.Context, backend, externalID string) (*Payment, error)
	// Payments lists payments matching f, newest first, one page at a time.
	Payments(ctx context.Context, f PaymentFilter) (*PaymentPage, error)
	// History lists a payment's status transitions, oldest first.
	History(ctx context.Context, paymentID string) ([]Transition, error)
	// UpdatePayment is the one mutation path. In one transaction, serialised
	// with every other change to the same payment (whatever the handle or
	// process), it: refuses with ErrDuplicateEvent a mutation whose EventKey
	// was already applied to this payment (without calling Apply); loads the
	// payment (ErrNotFound) and, with m.Operation naming a stored operation,
	// that operation (ErrNotFound); calls PlanUpdate; persists what it
	// decided (payment, history row, outbox events, their deliveries, the
	// operation) and records EventKey (also when nothing changed). If Apply
	// or the operation's Update fails, nothing is written and its error is
	// returned. Apply may be called more than once and must only change the
	// payment it is given.
	UpdatePayment(ctx context.Context, id string, m Mutation) (*UpdateResult, error)
	// EventApplied reports whether a mutation with eventKey was applied to
	// payment id. It only reads.
	EventApplied(ctx context.Context, paymentID, eventKey string) (bool, error)

	// Operation loads one money operation; ErrNotFound if there is none.
	Operation(ctx context.Context, id string) (*Operation, error)
	// Operations lists money operations matching f, newest first.
	Operations(ctx context.Context, f OperationFilter) (*OperationPage, error)
	// DueOperations lists and claims the operations the reconciler should
	// check now (see DueRequest), oldest check first.
	DueOperations(ctx context.Context, r DueRequest) ([]*Operation, error)

	// Event loads one outbox event; ErrNotFound if there is none.
	Event(ctx context.Context, id string) (*Event, error)
	// Events lists outbox events matching f, newest first.
	Events(ctx context.Context, f EventFilter) (*EventPage, error)
	// ClaimDeliveries leases the deliveries due now (see ClaimRequest),
	// oldest event first. A claim naming no owner is refused
	// (ClaimRequest.Check).
	ClaimDeliveries(ctx context.Context, r ClaimRequest) ([]ClaimedDelivery, error)
	// FinishDeliveries records the outcome of attempts at leased deliveries:
	// the delivery's state, schedule and last outcome, and the attempt in its
	// history. Results whose lease another owner holds now, or whose
	// delivery is no longer pending, are ignored; a batch with a result
	// naming no owner is refused whole (CheckResults).
	FinishDeliveries(ctx context.Context, results []DeliveryResult) error
	// Deliveries lists deliveries matching f, newest first.
	Deliveries(ctx context.Context, f DeliveryFilter) (*DeliveryPage, error)
	// Attempts lists a delivery's attempts, oldest first.
	Attempts(ctx context.Context, deliveryID string) ([]Attempt, error)
	// ReplayDeliveries makes the deliveries r names pending again, due at
	// r.Now, and reports how many.
	ReplayDeliveries(ctx context.Context, r ReplayRequest) (int, error)

	// Close releases the store's resources.
	Close() error
}

// StaleLister is an optional Store capability: payments still waiting on
// their broker (prepared or charge_started) that match a StaleRequest, least
// recently updated first. The engine polls their brokers, so a payment whose
// notifications were lost is still finished, and expires those waiting too
// long. With a claim, a payment listed to one caller is not listed again to
// any caller (of any handle or process) until the claim runs out: several
// instances poll each payment once per interval between them.
type StaleLister interface {
	StalePayments(ctx context.Context, req StaleRequest) ([]*Payment, error)
}

// AppliedKeyLister is an optional Store capability: the event keys applied
// to payment paymentID that begin with prefix, in byte order (none for a
// payment that has none, or that does not exist). It only reads. The engine
// finds with it the broker transactions recorded as second transactions of
// a payment (a buyer who paid twice), for the operator's console. A key
// too long for the store to keep as it is (PostgreSQL keeps a digest of
// one over 2,000 bytes) is not listed.
type AppliedKeyLister interface {
	AppliedKeys(ctx context.Context, paymentID, prefix string) ([]string, error)
}

// StaleRequest selects waiting payments for StaleLister. Zero time bounds do
// not filter.
type StaleRequest struct {
	Now           time.Time // the caller's clock: claims run from it
	UpdatedBefore time.Time // unchanged since
	UpdatedAfter  time.Time // changed last after
	CreatedAfter  time.Time
	CreatedBefore time.Time
	Backend       string // only this backend's payments, when set
	Limit         int    // at most this many; 0 means no limit
	// Claim, when positive, leases every payment listed until Now+Claim;
	// payments under another unexpired claim are not listed.
	Claim time.Duration
	// Ended selects, instead of the payments waiting on their broker, the
	// cancelled ones (as Expire leaves a payment, or a release or cancel):
	// a last look at their broker finds money a buyer paid after the
	// payment expired, when no notification says so.
	Ended bool
}

// Matches reports whether p is waiting on its broker (or, with Ended,
// cancelled) and within r's bounds (claims aside): the rule every store's
// query implements.
func (r StaleRequest) Matches(p *Payment) bool {
	status := p.Status == StatusPrepared || p.Status == StatusChargeStarted
	if r.Ended {
		status = p.Status == StatusCancelled
	}
	return status &&
		(r.UpdatedBefore.IsZero() || p.UpdatedAt.Before(r.UpdatedBefore)) &&
		(r.UpdatedAfter.IsZero() || p.UpdatedAt.After(r.UpdatedAfter)) &&
		(r.CreatedAfter.IsZero() || p.CreatedAt.After(r.CreatedAfter)) &&
		(r.CreatedBefore.IsZero() || p.CreatedAt.Before(r.CreatedBefore)) &&
		(r.Backend == "" || p.Backend == r.Backend)
}

// PaymentFilter selects payments for Store.Payments. Zero fields do not
// filter.
type PaymentFilter struct {
	OrderID       string
	Status        Status
	Backend       string
	Currency      string
	CreatedAfter  time.Time // created at or after
	CreatedBefore time.Time // created strictly before
	CreateKey     string    // created with this idempotency key (Payment.CreateKey)
	// Limit is the page size: 0 means DefaultPageSize; more than MaxPageSize
	// is refused.
	Limit int
	// Cursor continues a listing: the previous page's NextCursor. It is
	// opaque and only valid with the same filter.
	Cursor string
}

// Page sizes of Store.Payments.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PageLimit returns f's page size, or a *FieldError when it is out of range.
func (f PaymentFilter) PageLimit() (int, error) {
	switch {
	case f.Limit == 0:
		return DefaultPageSize, nil
	case f.Limit < 0 || f.Limit > MaxPageSize:
		return 0, &FieldError{Field: "limit", Reason: "must be between 1 and 500", Err: ErrInvalidRequest}
	}
	return f.Limit, nil
}

// Matches reports whether p passes every set field of f but the cursor and
// limit: the rule every store's query implements.
func (f PaymentFilter) Matches(p *Payment) bool {
	return (f.OrderID == "" || p.OrderID == f.OrderID) &&
		(f.Status == "" || p.Status == f.Status) &&
		(f.Backend == "" || p.Backend == f.Backend) &&
		(f.Currency == "" || p.Amount.Currency == f.Currency) &&
		(f.CreatedAfter.IsZero() || !p.CreatedAt.Before(f.CreatedAfter)) &&
		(f.CreatedBefore.IsZero() || p.CreatedAt.Before(f.CreatedBefore)) &&
		(f.CreateKey == "" || p.CreateKey == f.CreateKey)
}

// PaymentPage is one page of a payment listing.
type PaymentPage struct {
	Payments   []*Payment
	NextCursor string // empty on the last page
}

// CreateOptions are policies checked when a payment is created, and an
// optional first change made in the same transaction.
type CreateOptions struct {
	OneLivePerOrder bool
	// Deliver names the consumers the events written get deliveries for
	// (as Mutation.Deliver).
	Deliver []Subscription
	// Then, if set, is applied to the new payment in the same transaction,
	// exactly as UpdatePayment applies a mutation: its EventKey is recorded,
	// and a status move writes a history row and a status event. The engine
	// uses it to record a payment already registered at its broker (new ->
	// prepared) with one commit.
	Then *Mutation
	// Lease asks for the deliveries written to be leased at once, as
	// Mutation.Lease.
	Lease *DeliveryLease
}

// Mutation is one change to one payment.
type Mutation struct {
	// EventKey makes the mutation apply at most once to its payment
	// ("dummy:evt_123"); empty for changes that are not broker events.
	EventKey string
	// Cause is recorded in the history row ("captured (COMPLETED)").
	Cause string
	// Apply changes the payment and reports whether it changed anything.
	Apply func(p *Payment) (changed bool, err error)
	// Operation, when set, writes a money operation record in the same
	// transaction.
	Operation *OperationChange
	// Deliver names the consumers (listeners, webhook endpoints) the events
	// the change writes are to be delivered to: a pending delivery each,
	// written with the event, for every subscription that wants its type.
	Deliver []Subscription
	// Lease, when set, asks the store to lease the deliveries it writes to
	// Lease.Owner until Lease.Until, as ClaimDeliveries would, and to hand
	// them back in UpdateResult.Leased: the caller attempts them as soon as
	// the change is committed, without a claim. A store leases a delivery
	// only when every earlier pending delivery of its payment to its
	// consumer is leased to Lease.Owner until after Lease.Now (written by the
	// same change, or in flight at the caller, which keeps their order);
	// the others stay unleased, for ClaimDeliveries. The rule is
	// UpdateResult.PlanLeases; storetest checks it.
	Lease *DeliveryLease
	// Marks, when set, names further keys to record on the payment with
	// EventKey, in the same transaction (the engine's records of a second
	// transaction: counted only when the write counting it commits), given
	// the payment as Apply left it and whether it changed. A key recorded
	// before stays as it is (no ErrDuplicateEvent; UpdateResult.NewMarks
	// names the others); "" is skipped. Not for CreateOptions.Then.
	Marks func(p *Payment, changed bool) []string
}

// UpdateResult is what a change does to one payment, as PlanCreate and
// PlanUpdate decide it and a store persists it.
type UpdateResult struct {
	Payment    *Payment    // the payment after the change (as before when !Changed)
	Changed    bool        // whether the payment row is to be written
	Transition *Transition // the history row to write, when the status moved (its status event records it: Transition.RecordedBy)
	Events     []Event     // outbox events to write
	Deliveries []Delivery  // their pending deliveries to write
	// Leased are the deliveries written leased to Mutation.Lease's owner,
	// with their events and the delivery each comes after, in the order
	// written (see Mutation.Lease).
	Leased []ClaimedDelivery
	// Marks are the keys to record with the mutation's EventKey, each
	// unless recorded before (Mutation.Marks).
	Marks []string
	// NewMarks are those of Marks that were not recorded before: the
	// store that writes them says, in Marks' order (what the engine says
	// once of a second transaction, it says when its record is new).
	NewMarks []string
	// Operation is the money operation after the change, to write when
	// OperationChanged (inserted when OperationNew).
	Operation        *Operation
	OperationChanged bool
	OperationNew     bool
}

// PlanUpdate decides what mutation m does to cur at time now, without
// touching cur or op (the stored operation m.Operation names, nil for a new
// one): Apply runs on a copy; a status it moves to that is not a status, or
// that the transition table forbids, is a *TransitionError (whatever the
// mutation: getpaid.Apply checks its own); a change bumps Version and
// UpdatedAt (ID and CreatedAt are not Apply's to change); a status move adds
// a history row, a status event and its deliveries, captured or refunded
// money moving without one an amounts event and its deliveries; the
// operation is inserted or changed; the cause and the operation's error are
// made text every store keeps (see storableText). It is the one set of rules
// every store follows.
func PlanUpdate(cur *Payment, op *Operation, m Mutation, now time.Time) (*UpdateResult, error) {
	if m.Apply == nil {
		return nil, &FieldError{Field: "mutation", Reason: "a mutation needs Apply", Err: ErrInvalidRequest}
	}
	if err := checkLease(m.Lease); err != nil {
		return nil, err
	}
	now = now.UTC()
	p := cur.Clone()
	changed, err := m.Apply(p)
	if err != nil {
		return nil, err
	}
	res := &UpdateResult{}
	if changed {
		// Whatever mutation made it (Apply checks its own), a status move
		// is one the table allows, to one of the eleven statuses.
		switch {
		case !p.Status.Valid():
			return nil, &TransitionError{From: cur.Status, To: p.Status, Reason: "not a status"}
		case p.Status != cur.Status && !CanTransition(cur.Status, p.Status):
			return nil, &TransitionError{From: cur.Status, To: p.Status, Reason: "the transition table forbids it"}
		}
		p.ID, p.CreatedAt, p.CreateKey = cur.ID, cur.CreatedAt, cur.CreateKey
		p.Version, p.UpdatedAt = cur.Version+1, now
		storableBrokerText(p)
		res.Payment, res.Changed = p, true
		cause := storableText(m.Cause)
		switch {
		case p.Status != cur.Status:
			res.Transition = &Transition{From: cur.Status, To: p.Status, At: now, Cause: cause}
			res.addEvent(NewStatusEvent(p, cur.Status, now, cause), m.Deliver)
		case p.Captured != cur.Captured || p.Refunded != cur.Refunded:
			// Money moved, the status stayed (a second partial refund):
			// listeners hear of it too, or a shop's books go stale.
			res.addEvent(NewAmountsEvent(p, now, cause), m.Deliver)
		}
	} else {
		res.Payment = cur.Clone()
	}
	if oc := m.Operation; oc != nil {
		if err := res.planOperation(oc, op, now); err != nil {
			return nil, err
		}
	}
	if m.Marks != nil {
		for _, k := range m.Marks(p, changed) {
			if k != "" && k != m.EventKey && !slices.Contains(res.Marks, k) {
				res.Marks = append(res.Marks, k)
			}
		}
	}
	return res, nil
}

// planOperation decides the operation write of a mutation.
func (res *UpdateResult) planOperation(oc *OperationChange, stored *Operation, now time.Time) error {
	if oc.New != nil {
		op := *oc.New
		if op.ID == "" || op.PaymentID != res.Payment.ID || !op.State.Valid() {
			return &FieldError{Field: "operation", Reason: "a new operation needs an id, its payment and a state", Err: ErrInvalidRequest}
		}
		op.CreatedAt, op.UpdatedAt = now, now
		op.BrokerRef, op.Error, op.LastCheck = storableText(op.BrokerRef), storableText(op.Error), ClipText(storableText(op.LastCheck), MaxAttemptError)
		res.Operation, res.OperationChanged, res.OperationNew = &op, true, true
		return nil
	}
	if stored == nil || stored.ID != oc.ID || stored.PaymentID != res.Payment.ID {
		return fmt.Errorf("operation %s of payment %s: %w", oc.ID, res.Payment.ID, ErrNotFound)
	}
	op := *stored
	if oc.Update == nil {
		res.Operation = &op
		return nil
	}
	changed, err := oc.Update(&op, res.Payment.Clone())
	if err != nil {
		return err
	}
	if changed {
		moved := op
		moved.NextCheckAt = stored.NextCheckAt
		op.ID, op.PaymentID, op.CreatedAt, op.UpdatedAt = stored.ID, stored.PaymentID, stored.CreatedAt, now
		if moved == *stored {
			// Only its next check moved (given back, made due now, left
			// to another server), as a claim moves it: nothing anyone is
			// shown changed, nor what a resolution's Seen compares.
			op.UpdatedAt = stored.UpdatedAt
		}
		op.BrokerRef, op.Error, op.LastCheck = storableText(op.BrokerRef), storableText(op.Error), ClipText(storableText(op.LastCheck), MaxAttemptError)
		if op.State.Final() {
			op.LastCheck = "" // settled: no longer a reason it is in doubt
		}
		res.OperationChanged = true
	}
	res.Operation = &op
	return nil
}

// storableText is s as every store can keep it: a broker's words (an
// error answer, a status) reach a history cause or an operation's error as
// they came, and PostgreSQL refuses text that is not valid UTF-8 or holds a
// NUL (JSON's "\u0000"; an error page clipped inside a character). Each
// such byte run or NUL becomes U+FFFD; valid text is kept as it is.
func storableText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// storableBrokerText makes what a broker named p by, its transaction id
// and the redirect it answered, text every store keeps (see storableText):
// PostgreSQL refused a row holding a NUL or bytes that are not UTF-8, so a
// notification capturing a payment under such an id failed there for ever
// where the other stores recorded it. Valid text is kept as it is; p's
// redirect is replaced, not changed in place.
func storableBrokerText(p *Payment) {
	p.ExternalID = storableText(p.ExternalID)
	r := p.Redirect
	if r == nil {
		return
	}
	clean := storableText(r.Method) == r.Method && storableText(r.URL) == r.URL
	for k, v := range r.Fields {
		clean = clean && storableText(k) == k && storableText(v) == v
	}
	if clean {
		return
	}
	c := &Redirect{Method: storableText(r.Method), URL: storableText(r.URL)}
	if r.Fields != nil {
		c.Fields = make(map[string]string, len(r.Fields))
		for k, v := range r.Fields {
			c.Fields[storableText(k)] = storableText(v)
		}
	}
	p.Redirect = c
}

// StorableText is s as every store keeps a broker's words and ids (see
// PlanUpdate): each NUL or byte run that is not UTF-8 made U+FFFD, valid
// text kept as it is. The engine makes a broker's ids so as they arrive, so
// it compares them with the stored ones as stored.
func StorableText(s string) string { return storableText(s) }

// addEvent adds an outbox event and its pending delivery to each consumer
// subscribed to its type.
func (res *UpdateResult) addEvent(ev Event, subs []Subscription) {
	res.Events = append(res.Events, ev)
	for _, s := range subs {
		if !s.Wants(ev.Type) {
			continue
		}
		c := s.Consumer
		res.Deliveries = append(res.Deliveries, Delivery{
			ID: DeliveryID(ev.ID, c), EventID: ev.ID, PaymentID: ev.PaymentID, Consumer: c,
			State: DeliveryPending, NextAt: ev.At, CreatedAt: ev.At, UpdatedAt: ev.At,
		})
	}
}

// checkLease refuses a change's delivery lease naming no owner, as
// ClaimRequest.Check refuses such a claim: its deliveries' results would be
// refused (CheckResults), and each sent again once the lease ran out.
func checkLease(l *DeliveryLease) error {
	if l != nil && l.Owner == "" {
		return &FieldError{Field: "lease", Reason: "a delivery lease names no owner", Err: ErrInvalidRequest}
	}
	return nil
}

// PlanCreate decides what creating p at time now writes: the payment at
// Version 1 (status new, created and updated now) and its created event,
// then, with opts.Then, that first change as PlanUpdate decides it. It does
// not touch p.
func PlanCreate(p *Payment, opts CreateOptions, now time.Time) (*UpdateResult, error) {
	if p.ID == "" || p.Status != StatusNew {
		return nil, &FieldError{Field: "payment", Reason: "a new payment needs an id and status new", Err: ErrInvalidRequest}
	}
	if err := checkLease(opts.Lease); err != nil {
		return nil, err // opts.Then's own lease: PlanUpdate's check below
	}
	now = now.UTC()
	first := p.Clone()
	first.Version, first.CreatedAt, first.UpdatedAt = 1, now, now
	storableBrokerText(first)
	res := &UpdateResult{Payment: first, Changed: true}
	res.addEvent(NewCreatedEvent(first, now), opts.Deliver)
	if opts.Then == nil {
		return res, nil
	}
	then := *opts.Then
	then.Deliver = opts.Deliver
	if then.Operation != nil && then.Operation.New == nil {
		return nil, &FieldError{Field: "operation", Reason: "a new payment has no stored operation", Err: ErrInvalidRequest}
	}
	if then.Marks != nil {
		return nil, &FieldError{Field: "mutation", Reason: "a new payment's first change records no marks", Err: ErrInvalidRequest}
	}
	next, err := PlanUpdate(first, nil, then, now)
	if err != nil {
		return nil, err
	}
	if next.Changed {
		res.Payment = next.Payment
		res.Transition = next.Transition
	}
	res.Events = append(res.Events, next.Events...)
	res.Deliveries = append(res.Deliveries, next.Deliveries...)
	res.Operation, res.OperationChanged, res.OperationNew = next.Operation, next.OperationChanged, next.OperationNew
	return res, nil
}
