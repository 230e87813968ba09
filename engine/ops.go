package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

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
func (e *Engine) Refund(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	return e.operate(ctx, getpaid.OpRefund, req)
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
	hash := getpaid.RequestHash(kind, req.Amount)
	if req.IdempotencyKey != "" {
		if res, err, found := e.replay(ctx, p.ID, req.IdempotencyKey, hash); found {
			// Answered from what was read, which may be a change not yet
			// on disk (see getpaid.DurableWaiter).
			if werr := e.waitDurable(ctx); werr != nil {
				return nil, fmt.Errorf("%s: %w", op, werr)
			}
			return res, err
		}
	}
	// What the backend cannot do is said before the payment's state is
	// looked at: "no funds are held" would suggest a hold could come.
	if !supports(b.Broker, kind) && !(kind == getpaid.OpCancel && p.Status == getpaid.StatusNew) {
		return nil, fmt.Errorf("%s %s: %w", op, p.ID, getpaid.ErrNotSupported)
	}
	if req.Amount != nil && (kind == getpaid.OpRelease || kind == getpaid.OpCancel) {
		reason := "a release takes no amount: it gives back the whole hold"
		if kind == getpaid.OpCancel {
			reason = "a cancel takes no amount: it cancels the whole payment"
		}
		return nil, fmt.Errorf("%s %s: %w", op, p.ID, &getpaid.FieldError{Field: "amount", Reason: reason, Err: getpaid.ErrInvalidRequest})
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
			return res, err
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
	busy := func() error {
		if p.ActiveOp != "" {
			return &busyError{op: p.ActiveOp}
		}
		return nil
	}
	switch op.Kind {
	case getpaid.OpCapture:
		if p.Status != getpaid.StatusPreAuth || p.Locked == 0 {
			return false, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusPaid, Reason: "no funds held"}
		}
		if op.Amount.Minor > p.Locked {
			return false, &getpaid.FieldError{Field: "amount", Reason: fmt.Sprintf("the hold is %s", p.Money(p.Locked)), Err: getpaid.ErrInvalidAmount}
		}
		if err := busy(); err != nil {
			return false, err
		}
	case getpaid.OpRelease:
		if p.Status != getpaid.StatusPreAuth {
			return false, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusCancelled, Reason: "no funds held"}
		}
		if err := busy(); err != nil {
			return false, err
		}
	case getpaid.OpCancel:
		switch p.Status {
		case getpaid.StatusNew, getpaid.StatusPrepared, getpaid.StatusChargeStarted:
		default:
			return false, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusCancelled, Reason: "only an unpaid payment can be cancelled"}
		}
		if err := busy(); err != nil {
			return false, err
		}
	case getpaid.OpRefund:
		switch p.Status {
		case getpaid.StatusPaid, getpaid.StatusPartiallyPaid, getpaid.StatusPartiallyRefunded, getpaid.StatusRefundStarted:
		case getpaid.StatusRefunded:
			return false, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusRefundStarted,
				Reason: fmt.Sprintf("nothing left to refund: %s is refunded already", p.Money(p.Refunded))}
		case getpaid.StatusPreAuth:
			// Nothing captured, or part captured and the rest still held:
			// nothingToRefund and getpaid.Apply below say which.
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
	p.ActiveOp = op.ID
	return true, nil
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

// settle records what the broker answered an operation.
func (e *Engine) settle(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, op *getpaid.Operation, obs *getpaid.Observation, callErr error) (*getpaid.ActionResult, error) {
	if callErr != nil {
		if notSent(callErr) {
			// The broker refused and did nothing, or the request was
			// refused before it was sent: take the reservation back.
			res, err := e.finish(ctx, b, p.ID, op, getpaid.OpFailed, nil, callErr.Error(), "")
			if err != nil {
				e.log.ErrorContext(ctx, "refused operation not recorded; the reconciler will resolve it", "operation", op.ID, "err", err)
			}
			if res != nil {
				op = res.Operation
			}
			return nil, &getpaid.OperationError{Op: op, Err: fmt.Errorf("%w: %w", getpaid.ErrOperationFailed, callErr)}
		}
		// Doubt: the broker may have acted. Never guessed: recorded as
		// unknown, resolved by the reconciler against the broker.
		e.log.WarnContext(ctx, "operation in doubt; the reconciler will ask the broker", "operation", op.ID, "kind", op.Kind, "payment", p.ID, "err", callErr)
		res, err := e.markUnknown(ctx, p.ID, op, callErr.Error())
		if err == nil {
			op = res.Operation
			// The broker's notification of the operation overtook the lost
			// answer: what the broker said stands.
			switch op.State {
			case getpaid.OpSucceeded, getpaid.OpPending:
				return &getpaid.ActionResult{Payment: res.Payment, Operation: op}, nil
			case getpaid.OpFailed:
				return nil, &getpaid.OperationError{Op: op, Err: fmt.Errorf("%w: %s", getpaid.ErrOperationFailed, op.Error)}
			}
		}
		return nil, &getpaid.OperationError{Op: op, Err: fmt.Errorf("%w: %w", getpaid.ErrOperationInDoubt, callErr)}
	}
	if obs == nil {
		obs = &getpaid.Observation{Kind: getpaid.KindNone}
	}
	state := outcome(op, obs)
	res, err := e.finish(ctx, b, p.ID, op, state, obs, "", obs.BrokerRef)
	if err != nil {
		e.log.ErrorContext(ctx, "broker action not recorded", "operation", op.ID, "payment", p.ID, "kind", obs.Kind, "err", err)
		return nil, &ReconciliationError{PaymentID: p.ID, Observation: obs, Err: err}
	}
	return res, nil
}

// notSent reports whether a money operation's error says the broker did
// nothing: a *BrokerError without Happened, or, with no *BrokerError at
// all, a broker adapter refusing the request before sending it (a backend
// without the credentials refunds need, an amount its wire format cannot
// carry: ErrNotSupported, ErrInvalidRequest, ErrInvalidAmount,
// ErrAmountMismatch, ErrUnknownCurrency). Any other error is doubt.
func notSent(err error) bool {
	var be *getpaid.BrokerError
	if errors.As(err, &be) {
		return !be.Happened
	}
	for _, local := range []error{getpaid.ErrNotSupported, getpaid.ErrInvalidRequest, getpaid.ErrInvalidAmount,
		getpaid.ErrAmountMismatch, getpaid.ErrUnknownCurrency} {
		if errors.Is(err, local) {
			return true
		}
	}
	return false
}

// outcome is the state an operation reaches with what the broker answered.
func outcome(op *getpaid.Operation, obs *getpaid.Observation) getpaid.OperationState {
	switch obs.Kind {
	case getpaid.KindRefundStarted, getpaid.KindPending, getpaid.KindNone:
		return getpaid.OpPending // accepted; finished by a notification or the reconciler
	case getpaid.KindRefundFailed, getpaid.KindFailed:
		return getpaid.OpFailed
	}
	return getpaid.OpSucceeded
}

// finish records an operation's new state in one mutation with what it does
// to the payment: obs applied (deduplicated per operation), or with a failed
// operation its reservation taken back; an exclusive operation that ends
// frees the payment for the next. It is a no-op on an operation already
// final.
func (e *Engine) finish(ctx context.Context, b getpaid.Backend, id string, op *getpaid.Operation, state getpaid.OperationState, obs *getpaid.Observation, why, brokerRef string) (*getpaid.ActionResult, error) {
	return e.finishCounted(ctx, b, id, op, state, obs, why, brokerRef, false)
}

// finishCounted is finish; checked says a check of the reconciler learnt
// the state, which then counts among the operation's checks (Attempts).
func (e *Engine) finishCounted(ctx context.Context, b getpaid.Backend, id string, op *getpaid.Operation, state getpaid.OperationState, obs *getpaid.Observation, why, brokerRef string, checked bool) (*getpaid.ActionResult, error) {
	ctx = context.WithoutCancel(ctx)
	count := func(m getpaid.Mutation) getpaid.Mutation {
		if !checked {
			return m
		}
		oc := *m.Operation // a copy: finishing's change stays as it made it
		update := oc.Update
		oc.Update = func(o *getpaid.Operation, q *getpaid.Payment) (bool, error) {
			changed, err := update(o, q)
			if changed {
				o.Attempts++
			}
			return changed, err
		}
		m.Operation = &oc
		return m
	}
	up, err := e.mutate(ctx, id, count(e.finishing(b, op, state, obs, why, brokerRef)))
	if errors.Is(err, getpaid.ErrDuplicateEvent) {
		// The broker's fact was recorded already (its notification came
		// first): the operation still ends, without counting it twice.
		m := count(e.finishing(b, op, state, nil, why, brokerRef))
		// finishing states a failed refund's fact itself (without obs,
		// keyed by the operation): that is the fact already recorded.
		m.EventKey = ""
		m.Apply = func(q *getpaid.Payment) (bool, error) {
			if state.Final() && q.ActiveOp == op.ID {
				q.ActiveOp = ""
				return true, nil
			}
			return false, nil
		}
		up, err = e.mutate(ctx, id, m)
	}
	if ended := (*endedError)(nil); errors.As(err, &ended) {
		return e.endedBefore(ctx, b, id, ended.op, state, obs)
	}
	if err != nil {
		return nil, err
	}
	if up.Changed || up.OperationChanged {
		e.log.InfoContext(ctx, "operation recorded", "operation", op.ID, "kind", op.Kind, "state", up.Operation.State, "payment", id, "status", up.Payment.Status)
	}
	return &getpaid.ActionResult{Payment: up.Payment, Operation: up.Operation}, nil
}

// endedError is an operation found final, under the payment's lock, by a
// change meant to end it: nothing was written. What ended it (the broker's
// notification, the reconciler's lookup, the call's answer or an operator)
// already counted its effect on the payment; counting it again would, for a
// refund, record the money as gone back twice.
type endedError struct{ op *getpaid.Operation }

func (e *endedError) Error() string {
	return fmt.Sprintf("operation %s is %s already", e.op.ID, e.op.State)
}

// endedBefore answers the broker's fact about an operation that ended while
// it was being asked (obs is nil when getpaid states the outcome itself):
// the fact is not applied again, unless the broker says the operation was
// done though it ended as failed (an operator's decision, or a check, the
// broker contradicts): money the broker moved is recorded.
func (e *Engine) endedBefore(ctx context.Context, b getpaid.Backend, id string, ended *getpaid.Operation, state getpaid.OperationState, obs *getpaid.Observation) (*getpaid.ActionResult, error) {
	if obs != nil && e.recordAfterEnd(ctx, ended, state, obs) {
		m := e.finishing(b, ended, state, lateRefund(obs), "", "")
		m.Operation = nil
		up, err := e.mutate(ctx, id, m)
		if err == nil {
			return &getpaid.ActionResult{Payment: up.Payment, Operation: ended}, nil
		}
		if !errors.Is(err, getpaid.ErrDuplicateEvent) {
			return nil, err
		}
	}
	p, err := e.store.Payment(ctx, id)
	if err != nil {
		return nil, err
	}
	return &getpaid.ActionResult{Payment: p, Operation: ended}, nil
}

// recordAfterEnd is the one rule for a broker's fact, whose outcome for
// the operation is state, about an operation that has already ended: only
// the broker's word that money moved, after the operation ended as failed
// (an operator's decision, or a check, the broker contradicts), is
// recorded. Anything else changes nothing: a repeat; a late "accepted" (a
// reservation made now would never be released); a "not done" after it
// ended as done, which would take its amount off what other refunds in
// flight have reserved, so that money could be refunded twice. Both
// contradictions are logged for an operator.
func (e *Engine) recordAfterEnd(ctx context.Context, ended *getpaid.Operation, state getpaid.OperationState, obs *getpaid.Observation) bool {
	kv := []any{"operation", ended.ID, "kind", ended.Kind, "payment", ended.PaymentID, "resolved_by", ended.ResolvedBy, "broker_status", obs.BrokerStatus}
	switch {
	case state == getpaid.OpSucceeded && ended.State == getpaid.OpFailed:
		e.log.WarnContext(ctx, "the broker says an operation recorded as failed was done; its fact is recorded", kv...)
		return true
	case state == getpaid.OpFailed && ended.State == getpaid.OpSucceeded:
		e.log.ErrorContext(ctx, "the broker says an operation recorded as succeeded was not done; nothing changed: an operator should check it", kv...)
	}
	return false
}

// lateRefund is the broker's fact about an operation that ended failed
// before it came: a refund done is counted, but the operation gave its
// reservation back when it failed, so the fact leaves the reservations as
// they are (others' are still reserved for refunds at the broker).
func lateRefund(obs *getpaid.Observation) *getpaid.Observation {
	if obs.Kind != getpaid.KindRefunded {
		return obs
	}
	u := *obs
	u.Unrequested = true
	return &u
}

// finishing is the mutation that moves op to state with what it does to the
// payment. If op is final by then, it fails with an *endedError and
// changes nothing.
func (e *Engine) finishing(b getpaid.Backend, op *getpaid.Operation, state getpaid.OperationState, obs *getpaid.Observation, why, brokerRef string) getpaid.Mutation {
	if state == getpaid.OpFailed && op.Kind == getpaid.OpRefund {
		// The reservation given back is the operation's. A rejection the
		// broker told keeps its event id: its notification may have
		// given the reservation back already, unlinked to the operation
		// (PayU's names the refund by its own id only), and must not
		// count again, taking another refund's reservation.
		failed := &getpaid.Observation{Kind: getpaid.KindRefundFailed, Amount: op.Amount, BrokerStatus: "refund not done"}
		if obs != nil {
			failed.EventID = obs.EventID
			if obs.BrokerStatus != "" {
				failed.BrokerStatus = obs.BrokerStatus
			}
		}
		obs = failed
	}
	m := getpaid.Mutation{
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
			if o.State.Final() {
				ended := *o
				return false, &endedError{op: &ended}
			}
			o.State = state
			if why != "" {
				o.Error = why
			}
			if brokerRef != "" {
				o.BrokerRef = brokerRef
			}
			if state == getpaid.OpPending {
				o.NextCheckAt = e.now().Add(pendingCheck)
			}
			if state.Final() {
				o.Flagged = false // settled: nothing is left for an operator to decide
			}
			return true, nil
		}},
	}
	if obs != nil && state != getpaid.OpPending {
		// The broker's event id, which its answer, its notification and its
		// lookup of the operation share, makes the fact apply once whichever
		// reports it first; a fact getpaid states itself (an operator's
		// resolution, a refusal) is keyed by the operation.
		m.EventKey = eventKey(b, obs)
		if m.EventKey == "" {
			m.EventKey = opKey(b, op.ID, obs.Kind)
		}
		m.Cause = obs.Cause()
	}
	m.Apply = func(q *getpaid.Payment) (bool, error) {
		changed := false
		if obs != nil && state != getpaid.OpPending {
			o := *obs
			if o.Kind == getpaid.KindRefunded && o.EventID == "" {
				o.EventID = op.ID // deduplicated by the operation's key anyway
			}
			// A refund the broker reports done for another amount than
			// asked: the broker's amount is what went back, and this
			// operation's reservation (its amount) ends with it, no more
			// (another refund's stays) and no less (nothing is left
			// reserved for a refund no longer at the broker).
			other := op.Kind == getpaid.OpRefund && state == getpaid.OpSucceeded &&
				o.Kind == getpaid.KindRefunded && !o.Unrequested && o.Amount != op.Amount
			if other {
				// Its own reservation first: counting the broker's amount
				// then keeps the others' as far as what is left allows
				// (in the other order, the broker's amount would cut
				// them down before this reservation was given back).
				c, err := getpaid.Apply(q, &getpaid.Observation{Kind: getpaid.KindRefundFailed, Amount: op.Amount, BrokerStatus: o.BrokerStatus})
				if err != nil {
					return false, err
				}
				changed = c
				o.Unrequested = true // counted, leaving the reservations as they are
			}
			c, err := getpaid.Apply(q, &o)
			if err != nil {
				return false, err
			}
			changed = changed || c
		}
		if state.Final() && q.ActiveOp == op.ID {
			q.ActiveOp = ""
			changed = true
		}
		return changed, nil
	}
	return m
}

// pendingCheck is how long after a broker accepted an operation (a refund
// it finishes later) the reconciler first asks how it ended, in case the
// notification is lost.
const pendingCheck = 10 * time.Minute

// opKey is the dedupe key of an operation's result: the same broker fact
// reported by the answer, a notification and the reconciler applies once.
func opKey(b getpaid.Backend, opID string, kind getpaid.Kind) string {
	return b.Name + ":op:" + opID + ":" + string(kind)
}

// markUnknown records an operation whose answer was lost, unless the
// broker's notification told already how it went (final, or pending: the
// broker has it).
func (e *Engine) markUnknown(ctx context.Context, id string, op *getpaid.Operation, why string) (*getpaid.UpdateResult, error) {
	return e.mutate(context.WithoutCancel(ctx), id, getpaid.Mutation{
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
		Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
			if o.State.Final() || o.State == getpaid.OpPending {
				return false, nil
			}
			o.State, o.Error, o.NextCheckAt = getpaid.OpUnknown, why, e.now().Add(e.reconcile.backoff(0))
			return true, nil
		}},
	})
}

// replay answers a request whose idempotency key was used before on the
// payment, as the first request was answered; found is false when the key is
// new.
func (e *Engine) replay(ctx context.Context, paymentID, key, hash string) (res *getpaid.ActionResult, err error, found bool) {
	page, err := e.store.Operations(ctx, getpaid.OperationFilter{PaymentID: paymentID, IdempotencyKey: key, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("engine: idempotency key: %w", err), true
	}
	if len(page.Operations) == 0 {
		return nil, nil, false
	}
	op := page.Operations[0]
	if op.RequestHash != hash {
		asked := fmt.Sprintf("%s %s", op.Kind, op.Amount)
		if (op.Kind == getpaid.OpCapture || op.Kind == getpaid.OpRefund) && op.RequestHash == getpaid.RequestHash(op.Kind, nil) {
			// asked with no amount: not the same request as one naming
			// that amount, which the reason must not seem to be
			asked = fmt.Sprintf("%s of the whole amount, %s", op.Kind, op.Amount)
		}
		return nil, &getpaid.FieldError{Field: "Idempotency-Key", Reason: "already used for another request (" + asked + ")", Err: getpaid.ErrInvalidRequest}, true
	}
	switch op.State {
	case getpaid.OpSubmitting:
		return nil, &getpaid.OperationError{Op: op, Err: getpaid.ErrOperationInProgress}, true
	case getpaid.OpUnknown:
		return nil, &getpaid.OperationError{Op: op, Err: getpaid.ErrOperationInDoubt}, true
	case getpaid.OpFailed:
		return nil, &getpaid.OperationError{Op: op, Err: fmt.Errorf("%w: %s", getpaid.ErrOperationFailed, op.Error)}, true
	}
	res, err = e.result(ctx, paymentID, op.ID)
	return res, err, true
}

// result is the ActionResult of the payment and operation as stored now.
func (e *Engine) result(ctx context.Context, id, opID string) (*getpaid.ActionResult, error) {
	p, err := e.Payment(ctx, id)
	if err != nil {
		return nil, err
	}
	res := &getpaid.ActionResult{Payment: p}
	if opID != "" {
		if res.Operation, err = e.store.Operation(ctx, opID); err != nil {
			return nil, fmt.Errorf("engine: operation %s: %w", opID, err)
		}
	}
	return res, nil
}

// load reads a payment and its backend.
func (e *Engine) load(ctx context.Context, id string) (*getpaid.Payment, getpaid.Backend, error) {
	p, err := e.store.Payment(ctx, id)
	if err != nil {
		return nil, getpaid.Backend{}, fmt.Errorf("payment %q: %w", id, err)
	}
	b, err := e.backend(p.Backend)
	return p, b, err
}

// Operation loads one money operation.
func (e *Engine) Operation(ctx context.Context, id string) (*getpaid.Operation, error) {
	op, err := e.store.Operation(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: operation %q: %w", id, err)
	}
	return op, nil
}

// Operations lists money operations, newest first.
func (e *Engine) Operations(ctx context.Context, f getpaid.OperationFilter) (*getpaid.OperationPage, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, fmt.Errorf("engine: list operations: %w", &getpaid.FieldError{Field: "state",
			Reason: fmt.Sprintf("unknown state %q: want submitting, pending, succeeded, failed or unknown", f.State), Err: getpaid.ErrInvalidRequest})
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, fmt.Errorf("engine: list operations: %w", &getpaid.FieldError{Field: "kind",
			Reason: fmt.Sprintf("unknown kind %q: want capture, release, cancel or refund", f.Kind), Err: getpaid.ErrInvalidRequest})
	}
	page, err := e.store.Operations(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("engine: list operations: %w", err)
	}
	return page, nil
}
