package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/getpaid-go/getpaid"
)

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
	why := notDone(state, obs)
	res, err := e.finish(ctx, b, p.ID, op, state, obs, why, obs.BrokerRef)
	if err != nil {
		e.log.ErrorContext(ctx, "broker action not recorded", "operation", op.ID, "payment", p.ID, "kind", obs.Kind, "err", err)
		return nil, &ReconciliationError{PaymentID: p.ID, Observation: obs, Err: err}
	}
	if res.Operation != nil && res.Operation.State == getpaid.OpFailed {
		// Failed, by this answer or by what the broker said before it (its
		// notification overtaking the answer): answered as a retry with the
		// key is, never as a result that reads as done.
		if res.Operation.Error != "" {
			why = res.Operation.Error
		}
		return nil, &getpaid.OperationError{Op: res.Operation, Err: fmt.Errorf("%w: %s", getpaid.ErrOperationFailed, why)}
	}
	return res, nil
}

// notDone is the error an operation records when the broker's own word
// (its answer, or its notification) ends it as failed: what the broker
// said, as a refusal's error does; "" for any other state.
func notDone(state getpaid.OperationState, obs *getpaid.Observation) string {
	if state != getpaid.OpFailed || obs == nil {
		return ""
	}
	why := "the broker did not carry it out"
	if obs.BrokerStatus != "" {
		why += " (" + obs.BrokerStatus + ")"
	}
	return why
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
	var up *getpaid.UpdateResult
	var err error
	for try := 1; ; try++ {
		m := count(e.finishing(b, op, state, obs, why, brokerRef))
		if state == getpaid.OpFailed && op.Kind == getpaid.OpRefund {
			// Its reservation is given back, never another refund's:
			// weighed against the refunds under way as read with the
			// payment, and read again if the payment changed meanwhile.
			if m, err = e.keepingOthers(ctx, id, op, m, errStaleReservations); err != nil {
				return nil, err
			}
		}
		up, err = e.mutate(ctx, id, m)
		if !errors.Is(err, errStaleReservations) || try == 5 {
			break
		}
	}
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

// errStaleReservations is a failed refund's give-back weighed against a
// read of the refunds under way that the payment has changed since.
var errStaleReservations = errors.New("the payment changed while its refunds under way were read")

// keepingOthers makes m, which ends refund op as failed and gives its
// reservation back, keep reserved what the payment's other refunds under way
// need, as far as what was reserved allows: a refund the broker reported
// without naming its operation (its lookup failing) may have taken a
// reservation (op's, or another's: which is not known), and giving op's
// whole amount back then would leave a refund still at the broker
// unreserved, so that the same money could be asked of the broker twice.
// The refunds under way are read after the payment; if the payment changed
// between that read and the mutation, m fails with stale (the sum may count
// a refund that has ended since, whose reservation would then be kept for
// ever).
func (e *Engine) keepingOthers(ctx context.Context, id string, op *getpaid.Operation, m getpaid.Mutation, stale error) (getpaid.Mutation, error) {
	p, err := e.store.Payment(ctx, id)
	if err != nil {
		return m, err
	}
	reserved, err := e.refundsUnderWay(ctx, id) // op's own included while it is under way
	if err != nil {
		return m, err
	}
	seen, apply := p.Version, m.Apply
	m.Apply = func(q *getpaid.Payment) (bool, error) {
		if q.Version != seen {
			return false, stale
		}
		keep := min(q.RefundAsked, reserved-op.Amount.Minor)
		changed, err := apply(q)
		if err != nil || q.RefundAsked >= keep {
			return changed, err
		}
		back, err := getpaid.Apply(q, &getpaid.Observation{Kind: getpaid.KindRefundStarted, Amount: q.Money(keep - q.RefundAsked), BrokerStatus: "kept for the refunds under way"})
		return changed || back, err
	}
	return m, nil
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
				now := e.now()
				o.NextCheckAt = now.Add(pendingCheck)
				if flag := o.CreatedAt.Add(e.reconcile.flagAfter()); !o.Flagged && flag.Before(o.NextCheckAt) {
					// Flagged when it is due to be (checkLater), or at once
					// if that has passed: not at the first check after.
					o.NextCheckAt = flag
					if flag.Before(now) {
						o.NextCheckAt = now
					}
				}
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
// notification is lost; sooner when the operation is due to be flagged
// for an operator (ReconcileConfig.FlagAfter) before then.
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
