package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

// ReconciliationError reports that the broker did something (captured,
// refunded, ...) but recording it failed. The broker's result is kept so an
// operator can reconcile; the operation stays open and the reconciler
// finishes it against the broker.
type ReconciliationError struct {
	PaymentID   string
	Observation *getpaid.Observation
	Err         error
}

func (e *ReconciliationError) Error() string {
	return fmt.Sprintf("engine: broker %s for %s succeeded but was not recorded: %v", e.Observation.Kind, e.PaymentID, e.Err)
}
func (e *ReconciliationError) Unwrap() error { return e.Err }

// Capture captures req.Amount (by default the whole hold) of a pre-authorised
// payment. It is refused, with no broker call, unless the payment is pre_auth,
// the amount fits the hold and no other capture, release or cancel is in
// flight.
func (e *Engine) Capture(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	return e.operate(ctx, getpaid.OpCapture, req)
}

// Release releases what a pre-authorisation still holds.
func (e *Engine) Release(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	return e.operate(ctx, getpaid.OpRelease, req)
}

// Cancel cancels a payment the buyer has not paid.
func (e *Engine) Cancel(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	return e.operate(ctx, getpaid.OpCancel, req)
}

// Refund refunds req.Amount (by default everything refundable) of a captured
// payment. The refund is recorded as asked for (refund_started), checked
// against captured minus refunded minus refunds already pending, in the same
// transaction as its operation record, before the broker is called: no
// concurrent or repeated request can ask the broker for more than was paid.
//
// A nil error is a refund the broker made (ActionResult.Operation.State
// getpaid.OpSucceeded) or accepted to finish later (OpPending: the payment
// stays refund_started until the broker's notification, or Run's check,
// settles it, and listeners hear of it then). A refund the broker was asked
// for and did not make is a *getpaid.OperationError with its operation:
// ErrOperationFailed when the broker refused (the amount is refundable
// again), ErrOperationInDoubt when its answer was lost (the broker may have
// refunded: Run's reconciler asks it; never refund again under a new key,
// repeat the request with the same IdempotencyKey to learn the outcome),
// ErrOperationInProgress when another operation keeps it from starting.
// Refused before any broker call: ErrNotFound (no such payment), a
// *getpaid.TransitionError (nothing captured to refund), or a
// *getpaid.FieldError wrapping ErrInvalidAmount (another currency, zero or
// less, more than is refundable) or ErrInvalidRequest (an IdempotencyKey
// used for another request). Capture, Release and Cancel answer in the same
// shapes; an amount given to a Release or Cancel is a *getpaid.FieldError
// wrapping both ErrInvalidAmount and ErrInvalidRequest, unless the backend
// cannot do it at all: a *getpaid.UnsupportedError (ErrNotSupported).
func (e *Engine) Refund(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	return e.operate(ctx, getpaid.OpRefund, req)
}

// keyRefused says replay's refusal of a key used for another request (a
// *getpaid.FieldError) as operate's other refusals are, "engine: refund
// pay_…: Idempotency-Key: …"; its other answers (an *getpaid.OperationError,
// which names the operation itself) pass as they are.
func keyRefused(op, paymentID string, err error) error {
	var (
		fe *getpaid.FieldError
		oe *getpaid.OperationError
	)
	if errors.As(err, &fe) && !errors.As(err, &oe) {
		return fmt.Errorf("%s %s: %w", op, paymentID, err)
	}
	return err
}

// operate is every money operation, top to bottom:
//
//  1. with an idempotency key seen before, answer what that request got
//     (never calling the broker again);
//  2. write the operation (submitting) with its reservation on the payment
//     (a refund's amount, a capture's claim on the hold), checked against
//     the status machine and the amounts, in one transaction;
//  3. call the broker, holding no lock;
//  4. record what it answered: done, accepted (pending), refused (failed,
//     the reservation taken back) or lost (unknown, for the reconciler).
func (e *Engine) operate(ctx context.Context, kind getpaid.OperationKind, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	op := "engine: " + string(kind)
	if err := checkIdempotencyKey(req.IdempotencyKey); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	p, b, err := e.load(ctx, req.PaymentID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if req.Amount != nil && (kind == getpaid.OpRelease || kind == getpaid.OpCancel) {
		// A backend that cannot do it at all is said first: "takes no
		// amount" suggested it would go through without one. Unless the
		// key is that of this very operation, done (a cancel of a payment
		// not yet started, which any backend can do): then only the amount
		// differs.
		if err := unable(b, kind); err != nil && !(kind == getpaid.OpCancel && p.Status == getpaid.StatusNew) && !e.keyOf(ctx, p.ID, req.IdempotencyKey, kind) {
			return nil, fmt.Errorf("%s %s: %w", op, p.ID, err)
		}
		// Before the key is looked up: with a key used for the same
		// release, "already used for another request (release 100.00
		// PLN)" named the very amount sent as the difference.
		reason := "a release takes no amount: it gives back the whole hold"
		if kind == getpaid.OpCancel {
			reason = "a cancel takes no amount: it cancels the whole payment"
		}
		return nil, fmt.Errorf("%s %s: %w", op, p.ID, &getpaid.FieldError{Field: "amount", Reason: reason, Err: errTakesNoAmount})
	}
	hash := getpaid.RequestHash(kind, req.Amount)
	if req.IdempotencyKey != "" {
		if res, err, found := e.replay(ctx, p.ID, req.IdempotencyKey, hash); found {
			// Answered from what was read, which may be a change not yet
			// on disk (see getpaid.DurableWaiter).
			if werr := e.waitDurable(ctx); werr != nil {
				return nil, fmt.Errorf("%s: %w", op, werr)
			}
			return res, keyRefused(op, p.ID, err)
		}
	}
	// What the backend cannot do is said before the payment's state is
	// looked at: "no funds are held" would suggest a hold could come.
	if err := unable(b, kind); err != nil && !(kind == getpaid.OpCancel && p.Status == getpaid.StatusNew) {
		return nil, fmt.Errorf("%s %s: %w", op, p.ID, err)
	}
	amount, err := actionAmount(kind, p, req.Amount)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, p.ID, err)
	}
	rec := &getpaid.Operation{
		ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: p.Backend, Kind: kind, State: getpaid.OpSubmitting,
		Amount: amount, Baseline: p.Captured, IdempotencyKey: req.IdempotencyKey, RequestHash: hash,
	}
	// A refund of everything refundable, a capture of the whole hold and a
	// release (whose amount is the hold it gives back) are sized under the
	// payment's lock: what the read above found may have shrunk since
	// (another refund or a capture), and the request asked for the rest,
	// not for an amount.
	rest := req.Amount == nil && kind != getpaid.OpCancel
	up, err := e.mutate(ctx, p.ID, getpaid.Mutation{
		Cause: string(kind) + " asked", Operation: &getpaid.OperationChange{New: rec},
		Apply: func(q *getpaid.Payment) (bool, error) {
			// A store may run Apply again: start from the request each time.
			// The baseline (what was captured before this operation, which
			// the reconciler compares the broker's total with) is always
			// the locked payment's.
			if err := unable(b, kind); err != nil && q.Status != getpaid.StatusNew {
				// A cancel let through for a payment read new (nothing at
				// the broker) that was started since: it is at a broker
				// that cannot cancel it.
				return false, err
			}
			rec.Amount, rec.Baseline = amount, q.Captured
			left := q.Locked
			if kind == getpaid.OpRefund {
				left = q.Captured - q.Refunded - q.RefundAsked
			}
			if rest && left > 0 {
				rec.Amount = q.Money(left)
			}
			return reserve(q, rec)
		},
	})
	if err != nil && req.IdempotencyKey != "" && !errors.Is(err, getpaid.ErrUnavailable) {
		// The same key raced this request in (its operation took the key,
		// or first what this one asks for: the rest, the hold, the
		// payment's one exclusive operation): answer what it got.
		if res, err, found := e.replay(ctx, p.ID, req.IdempotencyKey, hash); found {
			// Answered from what was read, which may be a change not yet
			// on disk (see getpaid.DurableWaiter).
			if werr := e.waitDurable(ctx); werr != nil {
				return nil, fmt.Errorf("%s: %w", op, werr)
			}
			return res, keyRefused(op, p.ID, err)
		}
	}
	var busy *busyError
	if errors.As(err, &busy) {
		if blocker, berr := e.store.Operation(ctx, busy.op); berr == nil {
			// Name the operation in the way, and whether it waits for
			// the broker's answer or (in doubt) for the reconciler or an
			// operator: "in progress" alone told the shop neither. The
			// refused one never started, so it is ErrOperationInProgress
			// whatever the other's state: ErrOperationInDoubt would say
			// this request's own answer was lost.
			state := "still at the broker"
			if blocker.State == getpaid.OpUnknown {
				state = "in doubt: the reconciler or an operator settles it first"
			}
			return nil, &getpaid.OperationError{Op: blocker, Err: fmt.Errorf("%s %s: %w (another operation of the payment, %s %s, is %s)",
				op, p.ID, getpaid.ErrOperationInProgress, blocker.Kind, blocker.ID, state)}
		}
	}
	if err != nil {
		if kind == getpaid.OpRelease || kind == getpaid.OpCancel { // they take no amount
			return nil, fmt.Errorf("%s %s: %w", op, p.ID, err)
		}
		return nil, fmt.Errorf("%s %s of %s: %w", op, p.ID, rec.Amount, err)
	}
	rec, p = up.Operation, up.Payment
	if kind == getpaid.OpCancel && p.Status == getpaid.StatusNew { // never reached the broker
		return e.settle(ctx, b, p, rec, &getpaid.Observation{Kind: getpaid.KindReleased, BrokerStatus: "cancelled before start"}, nil)
	}
	// The request is on record: whatever happens to the caller now, the
	// answer is recorded and the doubt, if any, resolved.
	ctx = context.WithoutCancel(ctx)
	e.calls.Store(rec.ID, struct{}{})
	defer e.calls.Delete(rec.ID)
	obs, callErr := call(e, ctx, b.Name, string(kind), func(ctx context.Context) (*getpaid.Observation, error) {
		return callBroker(ctx, b.Broker, p, rec)
	})
	return e.settle(ctx, b, p, rec, obs, callErr)
}

// actionAmount is the amount an operation asks for: the request's, or by
// default the whole hold (capture) or everything refundable (refund).
func actionAmount(kind getpaid.OperationKind, p *getpaid.Payment, asked *getpaid.Money) (getpaid.Money, error) {
	switch kind {
	case getpaid.OpRelease:
		return p.Money(p.Locked), nil // what is held: the operation shows what it gives back
	case getpaid.OpCancel:
		return p.Money(0), nil
	}
	if asked == nil {
		if kind == getpaid.OpCapture {
			if p.Locked <= 0 {
				return getpaid.Money{}, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusPaid, Reason: "no funds are held to capture"}
			}
			return p.Money(p.Locked), nil
		}
		if err := nothingToRefund(p); err != nil {
			return getpaid.Money{}, err
		}
		return p.Money(p.Captured - p.Refunded - p.RefundAsked), nil
	}
	if asked.Currency != p.Amount.Currency {
		in := "has no currency"
		if asked.Currency != "" {
			in = "is in " + asked.Currency
		}
		return getpaid.Money{}, &getpaid.FieldError{Field: "amount", Reason: fmt.Sprintf("%s: the payment is in %s", in, p.Amount.Currency), Err: getpaid.ErrInvalidAmount}
	}
	if asked.Minor <= 0 {
		return getpaid.Money{}, &getpaid.FieldError{Field: "amount", Reason: fmt.Sprintf("must be more than zero, in %s", p.Amount.Currency), Err: getpaid.ErrInvalidAmount}
	}
	return *asked, nil
}

// nothingToRefund refuses a refund of a payment with nothing left to
// refund (everything refunded or being refunded), saying why; nil while
// something is left.
func nothingToRefund(p *getpaid.Payment) error {
	if p.Captured-p.Refunded-p.RefundAsked > 0 {
		return nil
	}
	reason := "nothing left to refund"
	switch {
	case p.Captured == 0:
		reason = "nothing was captured to refund"
	case p.RefundAsked > 0:
		reason = fmt.Sprintf("nothing left to refund: %s is refunded or being refunded", p.Money(p.Refunded+p.RefundAsked))
	}
	return &getpaid.TransitionError{From: p.Status, To: getpaid.StatusRefundStarted, Reason: reason}
}

// errTakesNoAmount is the cause of a release's or cancel's refused amount:
// an amount refused (ErrInvalidAmount, what the JSON API answers,
// invalid_amount) in a request that is wrong whatever the amount
// (ErrInvalidRequest).
var errTakesNoAmount = fmt.Errorf("%w: %w", getpaid.ErrInvalidAmount, getpaid.ErrInvalidRequest)

// keyOf reports whether key is that of an operation of kind on payment id
// (false when it cannot be read: the operation is then said unsupported).
func (e *Engine) keyOf(ctx context.Context, id, key string, kind getpaid.OperationKind) bool {
	if key == "" {
		return false
	}
	page, err := e.store.Operations(ctx, getpaid.OperationFilter{PaymentID: id, IdempotencyKey: key, Limit: 1})
	return err == nil && len(page.Operations) == 1 && page.Operations[0].Kind == kind
}

// unable refuses an operation the backend cannot do: its broker has no
// method for it, or (getpaid.OperationGate) not the settings it needs, such
// as Dotpay's refunds without the seller API credentials; nil when it can.
func unable(b getpaid.Backend, kind getpaid.OperationKind) error {
	if !supports(b.Broker, kind) {
		return unsupported(b.Name, string(kind))
	}
	if g, ok := b.Broker.(getpaid.OperationGate); ok {
		if instead := g.Unable(kind); instead != "" {
			return &getpaid.UnsupportedError{Backend: b.Name, Action: string(kind), Instead: instead}
		}
	}
	return nil
}

// supports reports whether a broker has the capability an operation needs.
func supports(b getpaid.Broker, kind getpaid.OperationKind) bool {
	var ok bool
	switch kind {
	case getpaid.OpCapture:
		_, ok = b.(getpaid.Capturer)
	case getpaid.OpRelease:
		_, ok = b.(getpaid.Releaser)
	case getpaid.OpCancel:
		_, ok = b.(getpaid.Canceler)
	case getpaid.OpRefund:
		_, ok = b.(getpaid.Refunder)
	}
	return ok
}

// reserve checks an operation against the payment and records it there: a
// refund's amount as asked for, a capture's, release's or cancel's claim on
// the payment (only one of those is in flight at a time).
func reserve(p *getpaid.Payment, op *getpaid.Operation) (bool, error) {
	switch op.Kind {
	case getpaid.OpCapture:
		if p.Status != getpaid.StatusPreAuth || p.Locked == 0 {
			return false, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusPaid, Reason: "no funds held"}
		}
		if op.Amount.Minor > p.Locked {
			return false, &getpaid.FieldError{Field: "amount", Reason: fmt.Sprintf("the hold is %s", p.Money(p.Locked)), Err: getpaid.ErrInvalidAmount}
		}
	case getpaid.OpRelease:
		if p.Status != getpaid.StatusPreAuth {
			return false, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusCancelled, Reason: "no funds held" + instead(p.Status)}
		}
	case getpaid.OpCancel:
		switch p.Status {
		case getpaid.StatusNew, getpaid.StatusPrepared, getpaid.StatusChargeStarted:
		default:
			return false, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusCancelled, Reason: "only an unpaid payment can be cancelled" + instead(p.Status)}
		}
	case getpaid.OpRefund:
		switch p.Status {
		case getpaid.StatusPaid, getpaid.StatusPartiallyPaid, getpaid.StatusPartiallyRefunded, getpaid.StatusRefundStarted:
		case getpaid.StatusRefunded:
			return false, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusRefundStarted,
				Reason: fmt.Sprintf("nothing left to refund: %s is refunded already", p.Money(p.Refunded))}
		case getpaid.StatusPreAuth:
			// Nothing captured (nothingToRefund below says so), or part
			// captured and the rest still held: refused for the hold,
			// whatever the amount (an amount check first would say "at most
			// the captured part can be refunded", which is refused too).
			if p.Captured > 0 {
				return false, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusRefundStarted,
					Reason: "part of the payment is still held: capture or release the hold first"}
			}
		default:
			return false, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusRefundStarted, Reason: "nothing captured to refund"}
		}
		// Nothing left is the status's answer, whatever was asked: a
		// request that read the payment before another refund took the
		// rest is answered as one reading it after.
		if err := nothingToRefund(p); err != nil {
			return false, err
		}
		if refundable := p.Captured - p.Refunded - p.RefundAsked; op.Amount.Minor > refundable {
			return false, &getpaid.FieldError{Field: "amount", Reason: fmt.Sprintf("at most %s can be refunded", p.Money(refundable)), Err: getpaid.ErrInvalidAmount}
		}
		return getpaid.Apply(p, &getpaid.Observation{Kind: getpaid.KindRefundStarted, Amount: op.Amount, BrokerStatus: "refund asked"})
	}
	// Capture, release and cancel change the same hold, so they go one at a
	// time (the domain's rule, OperationKind.Exclusive), checked after the
	// status and the amount: one refused for those is refused so whatever
	// else is in flight.
	if op.Kind.Exclusive() && p.ActiveOp != "" {
		return false, &busyError{op: p.ActiveOp}
	}
	p.ActiveOp = op.ID
	return true, nil
}

// instead completes the refusal of a cancel or release the payment's
// status forbids: what the status is, and what to ask for instead, so the
// caller is not left to guess from the status alone.
func instead(s getpaid.Status) string {
	switch s {
	case getpaid.StatusNew, getpaid.StatusPrepared, getpaid.StatusChargeStarted:
		return ": the payment is not paid yet; cancel it instead"
	case getpaid.StatusPreAuth:
		return ": funds are held; release the hold instead"
	case getpaid.StatusCancelled:
		return ": it is cancelled already"
	case getpaid.StatusFailed:
		return ": it failed: nothing is held or left to cancel"
	case getpaid.StatusRefunded:
		return ": it is refunded: nothing is left to cancel"
	}
	return ": money was captured; refund it instead"
}

// busyError refuses an operation while another of the payment (op) is at
// the broker or in doubt: captures, releases and cancels go one at a time.
type busyError struct{ op string }

func (e *busyError) Error() string {
	return fmt.Sprintf("%v: %s is at the broker", getpaid.ErrOperationInProgress, e.op)
}
func (e *busyError) Unwrap() error { return getpaid.ErrOperationInProgress }

// callBroker asks the payment's broker for the operation.
func callBroker(ctx context.Context, b getpaid.Broker, p *getpaid.Payment, op *getpaid.Operation) (*getpaid.Observation, error) {
	switch op.Kind {
	case getpaid.OpCapture:
		return b.(getpaid.Capturer).Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: op.Amount, OperationID: op.ID})
	case getpaid.OpRelease:
		return b.(getpaid.Releaser).Release(ctx, &getpaid.ReleaseRequest{Payment: p, OperationID: op.ID})
	case getpaid.OpCancel:
		return b.(getpaid.Canceler).Cancel(ctx, &getpaid.CancelRequest{Payment: p, OperationID: op.ID})
	default:
		return b.(getpaid.Refunder).Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: op.Amount, OperationID: op.ID})
	}
}

// unsupported refuses action, which backend's broker cannot do, saying what
// to do instead.
func unsupported(backend, action string) error {
	instead := "see the README's table of what each backend can do"
	switch action {
	case "poll":
		instead = "it has no status query; getpaid learns of the payment from the broker's notifications"
	case string(getpaid.OpCapture), string(getpaid.OpRelease):
		instead = "it takes no holds"
	case string(getpaid.OpCancel):
		instead = "a payment not paid expires at the broker, and in getpaid after expire_after"
	case string(getpaid.OpRefund):
		instead = "refund in the broker's panel; getpaid records the notification the broker sends of it"
	}
	return &getpaid.UnsupportedError{Backend: backend, Action: action, Instead: instead}
}
