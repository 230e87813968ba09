package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/textproto"
	"slices"

	"github.com/getpaid-go/getpaid"
)

// HandleCallback verifies, deduplicates and applies one broker notification.
// Errors wrap getpaid.ErrUnknownBackend, ErrSourceNotAllowed,
// ErrSignatureInvalid, ErrMalformedCallback, ErrBackendMismatch,
// ErrAmountMismatch, a *getpaid.BrokerError from a confirmation call, or a
// store error; in every error case nothing was changed. req's header names
// may be in any case (a request built from a plain map, as serverless
// platforms hand headers over): the backend reads them as net/http names
// them.
func (e *Engine) HandleCallback(ctx context.Context, backend string, req *getpaid.CallbackRequest) (*getpaid.CallbackResult, error) {
	b, ok := e.reg.Get(backend)
	if !ok {
		return nil, fmt.Errorf("engine: callback: %w %q", getpaid.ErrUnknownBackend, backend)
	}
	if req == nil {
		return nil, fmt.Errorf("engine: callback %s: %w: no request", backend, getpaid.ErrMalformedCallback)
	}
	if h := canonicalHeader(req.Header); h != nil {
		// Built by hand from a plain map (a serverless platform's event
		// names headers in lower case): the brokers look their headers up
		// as net/http names them. The caller's request is left as it is.
		r := *req
		r.Header = h
		req = &r
	}
	if al, ok := b.Broker.(getpaid.IPAllowlister); ok && !al.AllowCallbackFrom(req.RemoteIP) {
		// Debug only: anyone can post callbacks; the HTTP layer logs
		// refusals once per address and window.
		e.log.DebugContext(ctx, "callback from address not allowed", "backend", backend, "ip", req.RemoteIP)
		return nil, fmt.Errorf("engine: callback %s from %s: %w", backend, req.RemoteIP, getpaid.ErrSourceNotAllowed)
	}
	obs, err := call(e, ctx, b.Name, "parse_callback", func(ctx context.Context) (*getpaid.Observation, error) {
		return b.Broker.ParseCallback(ctx, req)
	})
	obs, err = answered(b.Name, "ParseCallback", obs, err)
	if err != nil {
		e.log.DebugContext(ctx, "callback refused", "backend", backend, "ip", req.RemoteIP, "err", err)
		return nil, fmt.Errorf("engine: callback %s: %w", backend, err)
	}
	res := &getpaid.CallbackResult{Observation: obs}
	if r, ok := b.Broker.(getpaid.CallbackResponder); ok {
		res.AckType, res.AckBody = r.CallbackAck()
	}
	if err := e.observeCallback(ctx, b, obs, res); err != nil {
		return nil, fmt.Errorf("engine: callback %s: %w", backend, err)
	}
	if obs.Unrecognized {
		id := obs.PaymentID
		if res.Payment != nil {
			id = res.Payment.ID
		}
		e.log.ErrorContext(ctx, "the broker reports a status getpaid does not know: acknowledged, nothing changed; look the payment up at the broker",
			"payment", id, "backend", backend, "external_id", obs.ExternalID, "broker_status", obs.BrokerStatus,
			"event", obs.EventID, "outcome", res.Outcome)
	}
	e.heldWhileCancelled(ctx, backend, obs, res)
	if res.Outcome == getpaid.OutcomeDuplicate || res.Outcome == getpaid.OutcomeNoChange || res.Outcome == getpaid.OutcomeSecondTransaction {
		// Answered from what was read (the change that makes this a
		// repeat may be one a reader sees before it is on disk): the
		// broker stops sending it only once that change is durable.
		if err := e.waitDurable(ctx); err != nil {
			return nil, fmt.Errorf("engine: callback %s: %w", backend, err)
		}
	}
	return res, nil
}

// canonicalHeader returns h with its names in canonical form (the values
// of names differing only in case joined, in the order of the names as
// sorted), or nil when every name already is.
func canonicalHeader(h http.Header) http.Header {
	canonical := true
	for k := range h {
		if textproto.CanonicalMIMEHeaderKey(k) != k {
			canonical = false
			break
		}
	}
	if canonical {
		return nil
	}
	c := make(http.Header, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		c[ck] = append(c[ck], h[k]...)
	}
	return c
}

// observeCallback applies a notification's fact (observe). A refund done
// that names no refund, from a broker that counts refunds
// (getpaid.RefundCounter), is applied as the first refund of its amount the
// broker lists whose event id is not yet applied; when another notification
// takes that one meanwhile (a duplicate), as the next; as a repeat once
// every one is applied; under its own id when the broker lists none. The
// ids are read once per notification.
func (e *Engine) observeCallback(ctx context.Context, b getpaid.Backend, obs *getpaid.Observation, res *getpaid.CallbackResult) error {
	rc, ok := b.Broker.(getpaid.RefundCounter)
	if !ok || obs.Kind != getpaid.KindRefunded || obs.OperationID != "" || obs.BrokerRef != "" || obs.PaymentID == "" {
		return e.observe(ctx, b, obs, res, true)
	}
	p, err := e.store.Payment(ctx, obs.PaymentID)
	switch {
	case errors.Is(err, getpaid.ErrNotFound) || err == nil && p.Backend != b.Name:
		return e.observe(ctx, b, obs, res, true) // unknown, or another backend's: observe says so
	case err != nil:
		return err
	}
	ids, err := call(e, ctx, b.Name, "refund_event_ids", func(ctx context.Context) ([]string, error) {
		return rc.RefundEventIDs(ctx, p, obs)
	})
	if err != nil {
		return fmt.Errorf("the broker's refunds of %s: %w", p.ID, err)
	}
	own := obs.EventID
	for _, id := range ids {
		applied, err := e.store.EventApplied(ctx, p.ID, b.Name+":"+id)
		if err != nil {
			return err
		}
		if applied {
			continue
		}
		obs.EventID = id
		if err := e.observe(ctx, b, obs, res, true); err != nil || res.Outcome != getpaid.OutcomeDuplicate {
			return err
		}
	}
	// Every refund of the amount the broker lists as done is applied: a
	// repeat (under the last one's id, not its own, which may be the id of
	// a refund still pending). When it lists none (not yet, or a chargeback
	// it keeps apart from refunds), the notification is applied under its
	// own id, a repeat when that one is.
	obs.EventID = own
	if len(ids) > 0 {
		obs.EventID = ids[len(ids)-1]
	}
	return e.observe(ctx, b, obs, res, true)
}

// heldWhileCancelled logs a hold the broker reports for a payment already
// cancelled (expired, or cancelled unpaid), or failed at a broker whose
// failures are final (Observation.FinalFailure): Apply records none (a
// released hold must not come back with a late repeat), but should the
// broker hold the buyer's money after all, an operator should release or
// capture it there.
func (e *Engine) heldWhileCancelled(ctx context.Context, backend string, obs *getpaid.Observation, res *getpaid.CallbackResult) {
	if obs.Kind != getpaid.KindLocked || res.Outcome != getpaid.OutcomeNoChange || res.Payment == nil {
		return
	}
	switch st := res.Payment.Status; {
	case st == getpaid.StatusCancelled:
		e.log.WarnContext(ctx, "the broker reports money held for a cancelled payment: not recorded; release the hold at the broker, or capture it there if the order still stands",
			"payment", res.Payment.ID, "backend", backend, "external_id", obs.ExternalID, "broker_status", obs.BrokerStatus,
			"amount", obs.Amount.String(), "event", obs.EventID)
	case st == getpaid.StatusFailed && obs.FinalFailure:
		e.log.WarnContext(ctx, "the broker reports money held for a payment it failed, whose failures are final: taken for a late repeat, not recorded; look the payment up at the broker if in doubt",
			"payment", res.Payment.ID, "backend", backend, "external_id", obs.ExternalID, "broker_status", obs.BrokerStatus,
			"amount", obs.Amount.String(), "event", obs.EventID)
	}
}

// waitDurable returns once what the store's readers see is on disk, for a
// store that says they may see it sooner (getpaid.DurableWaiter).
func (e *Engine) waitDurable(ctx context.Context) error {
	if d, ok := e.store.(getpaid.DurableWaiter); ok {
		return d.WaitDurable(ctx)
	}
	return nil
}

// observe is the one path every broker fact takes (a notification, a status
// poll, the answer to a money operation), top to bottom:
//
//  1. find the payment: by getpaid's id when the broker echoes it (without a
//     read: the store's transaction loads it), else by the broker's id;
//  2. with a broker that confirms facts (Przelewy24 verify), and only when
//     the fact would change something, confirm it first: nothing is applied
//     if that fails;
//  3. apply it in the store's one transaction, deduplicated by event id
//     within the payment, checked against the payment's backend, the status
//     machine and the amounts.
//
// res gets the outcome and the payment; an error means nothing changed.
func (e *Engine) observe(ctx context.Context, b getpaid.Backend, obs *getpaid.Observation, res *getpaid.CallbackResult, confirm bool) error {
	c, confirms := b.Broker.(getpaid.CallbackConfirmer)
	if obs.MustConfirm && !confirms && obs.Kind != getpaid.KindNone {
		e.log.ErrorContext(ctx, "a fact the broker keeps the money of until it is confirmed reached a broker that cannot confirm it: applied, it would count money never paid; if the backend's broker is wrapped, the wrapper must also implement getpaid.CallbackConfirmer (and every other capability of the broker it wraps)",
			"backend", b.Name, "payment", obs.PaymentID, "broker_status", obs.BrokerStatus)
		return fmt.Errorf("engine: backend %s: %s must be confirmed, and its broker is no getpaid.CallbackConfirmer", b.Name, obs.Kind)
	}
	confirms = confirms && confirm && obs.Kind != getpaid.KindNone
	id := obs.PaymentID
	var p *getpaid.Payment
	resolve := func() error {
		var err error
		p, err = e.resolve(ctx, b.Name, obs)
		if err != nil {
			return err
		}
		if p.Backend != b.Name {
			e.log.WarnContext(ctx, "callback names a payment of another backend", "backend", b.Name, "payment", p.ID, "payment_backend", p.Backend)
			return fmt.Errorf("payment %s of %s: %w", p.ID, p.Backend, getpaid.ErrBackendMismatch)
		}
		id = p.ID
		return nil
	}
	if id == "" || confirms {
		if err := resolve(); isNotFound(err) {
			return e.unknown(ctx, b, obs, res)
		} else if err != nil {
			return err
		}
	}
	// confirmed: the broker was asked to confirm obs (its money accepted),
	// which a write finding it a second transaction does not undo.
	confirmed := false
	if confirms {
		dry := p.Clone()
		changed, err := getpaid.Apply(dry, obs)
		if err != nil {
			if e.endedWith(ctx, b, p.ID, obs) {
				// A refund's end that its operation ended with already
				// (under another key: an operator's resolution): a
				// repeat, whatever today's amounts say, as below.
				res.Outcome = getpaid.OutcomeDuplicate
				return nil
			}
			return e.refused(ctx, b, p.ID, obs, res, err)
		}
		switch {
		case otherCapture(obs, p):
			// A capture (or an advance) of another transaction than the
			// one that paid (a buyer who paid twice: another Przelewy24
			// orderId of the payment's sessionId) counts nothing: it is
			// not confirmed (confirming is what accepts the money;
			// unconfirmed, the broker gives it back), but recorded and
			// reported as a second transaction below, as at brokers
			// that confirm nothing.
		case !changed && sameAdvance(obs, p):
			// Another transaction holding the amount p's advance holds
			// changes nothing, and is recorded as a second transaction
			// below (markAdvanceDropped): an advance is never confirmed.
		case !changed:
			if opResultKind(obs.Kind) != "" {
				// A refund's end that changes nothing may contradict how
				// its operation ended (rejected after an operator resolved
				// it as done): logged for an operator, as decide does.
				// Only that: a success written nowhere must not be
				// logged as "its fact is recorded".
				if op, err := e.operationFor(ctx, b, p.ID, obs, nil); err == nil && op != nil && op.State.Final() && outcome(op, obs) == getpaid.OpFailed {
					e.recordAfterEnd(ctx, op, getpaid.OpFailed, obs)
				}
			}
			res.Outcome, res.Payment = getpaid.OutcomeNoChange, p
			return nil
		default:
			if obs.ExternalID != "" && obs.ExternalID != p.ExternalID {
				// Nothing is confirmed with the broker for a fact that
				// names two payments.
				if err := e.samePayment(ctx, b, p.ID, obs); err != nil {
					return e.refused(ctx, b, p.ID, obs, res, err)
				}
			}
			if err := e.confirm(ctx, b, c, p, obs); err != nil {
				e.log.WarnContext(ctx, "broker confirmation failed; nothing applied", "backend", b.Name, "payment", p.ID, "err", err)
				return fmt.Errorf("confirm %s: %w", p.ID, err)
			}
			// An advance is never confirmed (Przelewy24 verifies
			// captures only: verifying is what accepts the money), so
			// the broker gives it back by itself should it be a second
			// transaction after all.
			confirmed = obs.Kind != getpaid.KindAdvance
		}
	}
	// A fact about one of getpaid's money operations (a refund's outcome)
	// finishes that operation in the same transaction, and is deduplicated
	// by the operation: its answer, notifications and lookups apply once.
	var m getpaid.Mutation
	// decide sets m for the fact given the operation it belongs to (nil if
	// none), or says the outcome without a write.
	decide := func(op *getpaid.Operation) (skip getpaid.Outcome) {
		m = getpaid.Mutation{EventKey: eventKey(b, obs), Cause: obs.Cause(), Apply: func(q *getpaid.Payment) (bool, error) {
			return getpaid.Apply(q, obs)
		}}
		switch {
		case op == nil:
			if unrequested, err := e.unrequestedRefund(ctx, id, obs); err != nil {
				// Whether getpaid's refunds under way include this one
				// is not known: applied as one of them, a refund made in
				// the broker's panel would take their reservations, and
				// the money on its way back could be refunded again. Not
				// guessed: the broker delivers it again.
				m.Apply = func(*getpaid.Payment) (bool, error) {
					return false, fmt.Errorf("the refunds under way: %w", err)
				}
			} else if unrequested {
				u := *obs
				u.Unrequested = true
				m.Apply = func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, &u) }
			} else if asked, ok, err := e.partialCaptureUnderWay(ctx, id, obs); err != nil {
				// Whether a capture of part of the hold is under way is
				// not known: applied as it stands, the rest PayU released
				// would count as captured for good. Not guessed: the
				// broker delivers it again.
				m.Apply = func(*getpaid.Payment) (bool, error) {
					return false, fmt.Errorf("the captures under way: %w", err)
				}
			} else if ok {
				// The broker completed the order getpaid is capturing
				// part of (the answer not yet in, or lost), and states
				// more than was asked: PayU's COMPLETED with the order's
				// totalAmount. The rest of the hold went back with the
				// capture: what was asked is what was captured.
				u := *obs
				u.Amount.Minor = asked
				m.Apply = func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, &u) }
			} else if ended, err := e.releaseUnderWay(ctx, id, obs); err != nil {
				// Whether the release (or cancellation) getpaid asked for
				// is under way is not known: applied as it stands, the
				// payment would fail for good where the merchant ended
				// it. Not guessed: the broker delivers it again.
				m.Apply = func(*getpaid.Payment) (bool, error) {
					return false, fmt.Errorf("the releases under way: %w", err)
				}
			} else if ended {
				// The broker ended the hold (or the unpaid payment)
				// getpaid asked it to end, and said only "failed" (PayU's
				// CANCELED names no cause): that is the release or the
				// cancellation done, before its answer came.
				// Its history row (and the event's cause) says so too,
				// as when the answer comes first.
				u := *obs
				u.Kind = getpaid.KindReleased
				m.Cause = u.Cause()
				m.Apply = func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, &u) }
			}
		case !op.State.Final():
			m = e.finishing(b, op, outcome(op, obs), obs, notDone(outcome(op, obs), obs), obs.BrokerRef)
		case outcome(op, obs) == op.State:
			// The operation ended with this very fact already (its answer,
			// a lookup or an operator recorded it): a repeat.
			return getpaid.OutcomeDuplicate
		case !e.recordAfterEnd(ctx, op, outcome(op, obs), obs):
			return getpaid.OutcomeNoChange
		default:
			late := lateRefund(obs)
			m.Apply = func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, late) }
		}
		return ""
	}
	var before getpaid.Status
	// second: the transaction a refund getpaid did not ask for names,
	// when not the payment's, was reported as a second transaction of it.
	// Only then is its refund not the payment's: the broker id of a
	// payment stored before it was the paying transaction's may be an
	// earlier try that failed, whose paying transaction was never one.
	second := false
	// extChecked: the broker id the fact names, when not the payment's own,
	// was looked up and belongs to no other payment.
	extChecked := false
	// refusedWrite: the write refused a refund of another transaction
	// than the payment's, not a second one: recorded as refused after it
	// (markOtherRefunded does before it, on the payment it reads).
	refusedWrite := false
	// What the broker reported has happened: a caller hanging up must not
	// stop it being recorded.
	write1 := func() (*getpaid.UpdateResult, error) {
		checked, apply := m, m.Apply
		checked.Apply = func(q *getpaid.Payment) (bool, error) {
			if q.Backend != b.Name {
				return false, fmt.Errorf("payment %s of %s: %w", q.ID, q.Backend, getpaid.ErrBackendMismatch)
			}
			if !extChecked && obs.ExternalID != "" && obs.ExternalID != q.ExternalID {
				return false, errUncheckedExternalID
			}
			if otherCapture(obs, q) {
				// Another transaction than the one that paid: its
				// amount is its own, not the payment's so far
				// (captures are cumulative within one transaction), and
				// counts nothing. A second transaction, reported below,
				// unless it fits no payment of this amount and currency:
				// refused as an amount mismatch, as before the payment
				// was paid.
				if _, err := getpaid.Apply(q.Clone(), obs); err != nil {
					return false, err
				}
				return false, nil
			}
			if second && otherRefund(obs, q) {
				// A refund of another transaction than the one that
				// paid, reported as a second transaction (refunded as
				// getpaid advises): the payment's money did not go back.
				return false, nil
			}
			before = q.Status
			// As markOtherRefunded would have found it on q: refused.
			refuses := !second && otherRefund(obs, q)
			if refuses {
				_, err := getpaid.Apply(q.Clone(), obs)
				refuses = err != nil
			}
			changed, err := apply(q)
			refusedWrite = err != nil && refuses
			return changed, err
		}
		// A refund of another transaction counted as the payment's is
		// recorded so by the write counting it, in its transaction: the
		// record says what the write did, whatever was read before it or
		// written meanwhile. Should that transaction's capture come later,
		// a second transaction, markSecond says the refund counted.
		// So is a second transaction by the write finding it one (another
		// transaction's notification paid the payment meanwhile, after
		// markSecond read it), and that getpaid confirmed it: written
		// after it, a process dying between the two lost the record, the
		// broker's repeat being a duplicate.
		checked.Marks = func(q *getpaid.Payment, changed bool) []string {
			switch {
			case changed && !second && otherRefund(obs, q):
				return []string{secondRefundedKey(b, obs.ExternalID)}
			case !changed && otherCapture(obs, q) && confirmed:
				return []string{secondKey(b, obs.ExternalID), b.Name + confirmedMark + obs.ExternalID}
			case !changed && (otherCapture(obs, q) || sameAdvance(obs, q)):
				return []string{secondKey(b, obs.ExternalID)}
			}
			return nil
		}
		return e.mutate(context.WithoutCancel(ctx), id, checked)
	}
	write := func() (*getpaid.UpdateResult, error) {
		up, err := write1()
		if !errors.Is(err, errUncheckedExternalID) {
			return up, err
		}
		if err := e.samePayment(ctx, b, id, obs); err != nil {
			return nil, err
		}
		extChecked = true
		return write1()
	}
	if obs.Kind == getpaid.KindRefunded && obs.OperationID == "" && obs.ExternalID != "" && id != "" {
		var err error
		if second, err = e.store.EventApplied(ctx, id, secondKey(b, obs.ExternalID)); err != nil {
			return e.refused(ctx, b, id, obs, res, fmt.Errorf("whether broker transaction %s is a second one: %w", obs.ExternalID, err))
		}
		if second {
			// Money went back from a second transaction: recorded for
			// the console before the refund's own event key is, as a
			// second transaction is before its capture, so that a
			// failure here is answered for the broker to send it again,
			// not taken for a duplicate next time. Not for another
			// payment's own transaction (recorded as a second one of
			// this payment before markSecond checked): the write
			// refuses the fact naming both.
			if err := e.samePayment(ctx, b, id, obs); err != nil {
				return e.refused(ctx, b, id, obs, res, err)
			}
			extChecked = true
			if err := e.markSecondRefunded(context.WithoutCancel(ctx), b, id, obs.ExternalID); err != nil {
				return e.refused(ctx, b, id, obs, res, err)
			}
		} else if err := e.markOtherRefunded(ctx, b, id, obs); err != nil {
			return e.refused(ctx, b, id, obs, res, err)
		}
	}
	if (obs.Kind == getpaid.KindCaptured || obs.Kind == getpaid.KindAdvance) && obs.ExternalID != "" && id != "" {
		// Recorded before the capture, so that no second transaction
		// is ever taken without it (a process dying between the two).
		if err := e.markSecond(ctx, b, id, obs); err != nil {
			return e.refused(ctx, b, id, obs, res, err)
		}
	}
	// gone: refunds an operator resolved as done that the broker says it
	// never made, found looking for the one obs is about.
	var gone []*getpaid.Operation
	op, oerr := e.operationFor(ctx, b, id, obs, &gone)
	if oerr != nil {
		return e.refused(ctx, b, id, obs, res, oerr)
	}
	if skip := decide(op); skip != "" {
		res.Outcome = skip
		return nil
	}
	up, err := write()
	if ended := (*endedError)(nil); errors.As(err, &ended) {
		// The operation ended after it was read (its answer, a lookup or
		// an operator): decide again knowing how.
		if skip := decide(ended.op); skip != "" {
			res.Outcome = skip
			return nil
		}
		up, err = write()
	}
	if isNotFound(err) && p == nil && (obs.ExternalID != "" || obs.OperationID != "") {
		// getpaid's id named nothing: the broker's id, or getpaid's
		// operation, may still.
		if err := resolve(); isNotFound(err) {
			return e.unknown(ctx, b, obs, res)
		} else if err != nil {
			return err
		}
		// The fact may be about one of this payment's operations, which
		// the id that named nothing could not find.
		gone = nil
		op, oerr := e.operationFor(ctx, b, id, obs, &gone)
		if oerr != nil {
			return e.refused(ctx, b, id, obs, res, oerr)
		}
		if skip := decide(op); skip != "" {
			res.Outcome = skip
			return nil
		}
		up, err = write()
	}
	switch {
	case errors.Is(err, getpaid.ErrDuplicateEvent):
		res.Outcome = getpaid.OutcomeDuplicate
		return nil
	case isNotFound(err):
		return e.unknown(ctx, b, obs, res)
	case err != nil:
		if refusedWrite {
			// Read as fitting the payment, refused by the write (the
			// payment's own refund written meanwhile): its money went
			// back all the same, counted nowhere.
			if _, merr := e.mark(context.WithoutCancel(ctx), id, b.Name+refusedMark+obs.ExternalID); merr != nil {
				err = fmt.Errorf("%w (and recording the refund of broker transaction %s, refused: %w)", err, obs.ExternalID, merr)
			}
		}
		return e.refused(ctx, b, id, obs, res, err)
	}
	res.Payment = up.Payment
	res.Outcome = getpaid.OutcomeNoChange
	if slices.Contains(up.Marks, secondRefundedKey(b, obs.ExternalID)) {
		// Counted as the payment's: its transaction's capture may have
		// been recorded as a second transaction since second was read,
		// its markSecond finding no record of this refund yet (two
		// notifications at once). Whichever of the two looks last says so.
		if again, err := e.store.EventApplied(context.WithoutCancel(ctx), id, secondKey(b, obs.ExternalID)); err == nil && again {
			e.logSecondRefundCounted(ctx, b, up.Payment, obs.ExternalID)
		}
	}
	if !up.Changed && otherCapture(obs, up.Payment) {
		// Captures are cumulative facts about one broker transaction: a
		// second transaction for the same payment (a buyer who paid
		// twice) counts nothing here, and the money is at the broker;
		// so is the money it holds for another amount (an advance: a
		// paid payment takes none).
		// Its own outcome makes it seen beyond the log (the metrics'
		// callbacks by outcome, the console's callbacks of the backend).
		res.Outcome = getpaid.OutcomeSecondTransaction
		advice := secondAdvice(b)
		if confirmed {
			// Confirmed before another transaction's write paid the
			// payment (two notifications at once): the broker keeps it.
			// Recorded for the console to say so by the write (Marks), as
			// the log does.
			advice = "getpaid confirmed it (another transaction's notification paid the payment meanwhile), so the broker keeps its money: refund it at the broker or settle it with the buyer"
		}
		e.log.ErrorContext(ctx, "the broker reports a second transaction for a payment already paid: not counted; "+advice,
			"payment", id, "backend", b.Name, "transaction", up.Payment.ExternalID, "second_transaction", obs.ExternalID,
			"amount", obs.Amount.String())
		if slices.Contains(up.NewMarks, secondKey(b, obs.ExternalID)) {
			// The payment was paid by another transaction meanwhile: the
			// write recorded it (Marks).
			e.secondRecorded(context.WithoutCancel(ctx), b, up.Payment, obs.ExternalID)
		}
	}
	if !up.Changed && sameAdvance(obs, up.Payment) {
		// Another transaction holding the amount the payment's advance
		// holds: a second transaction, its outcome saying so (the
		// metrics' callbacks by outcome, the console's callbacks of the
		// backend), as another transaction's capture's does.
		res.Outcome = getpaid.OutcomeSecondTransaction
		// Recorded before the write (markAdvanceDropped), unless the
		// other transaction's advance was written after markSecond read
		// the payment (two notifications at once): this one's money is
		// counted nowhere, recorded as markAdvanceDropped records it, by
		// the write (Marks: it checked it is no other payment's).
		if slices.Contains(up.NewMarks, secondKey(b, obs.ExternalID)) {
			e.secondTransaction(ctx, b, id, obs.ExternalID)
			e.logSameAdvance(ctx, b, up.Payment, obs)
		}
	}
	if !up.Changed && second && otherRefund(obs, up.Payment) {
		// No change, and not second_transaction again: that outcome (and
		// its alert) was reported when the transaction was paid; its
		// money going back is what it asked for.
		e.log.WarnContext(ctx, "the broker reports money going back from another transaction than the one that paid the payment (a second transaction): not counted as a refund of the payment",
			"payment", id, "backend", b.Name, "transaction", up.Payment.ExternalID, "second_transaction", obs.ExternalID,
			"amount", obs.Amount.String(), "broker_status", obs.BrokerStatus, "event", obs.EventID)
	}
	if up.Changed {
		res.Outcome = getpaid.OutcomeApplied
		e.log.InfoContext(ctx, "payment updated", "payment", id, "backend", b.Name, "from", before, "to", up.Payment.Status, "cause", obs.Cause())
		if obs.Kind == getpaid.KindRefunded {
			for _, g := range gone {
				e.refundGone(ctx, b, g, obs, up.Payment)
			}
		}
		if obs.Kind == getpaid.KindCaptured && (before == getpaid.StatusCancelled || before == getpaid.StatusPartiallyPaid) {
			// What a release or cancel resolved as done left (a
			// cancelled payment, or part of a hold captured and the rest
			// released), captured since.
			e.releasesContradicted(ctx, b, up.Payment, obs)
		}
	}
	return nil
}

// markOtherRefunded records, before the write, a refund the payment
// refuses (more than it holds) of broker transaction obs.ExternalID of
// payment id, when that is not the payment's own and not (yet) recorded as
// a second transaction of it: it counts nothing, and is recorded under its
// own key for the console to say its money went back all the same, without
// markSecond saying it counted. A refund of such a transaction that counts
// as the payment's (a payment stored naming an earlier try, or paid in part
// by that transaction, by a release that counted such captures) is recorded
// as counted by the write counting it, in its transaction (checked.Marks in
// observe): should that transaction's capture come after it (delivered out
// of order) and be a second transaction, the console says its money went
// back instead of asking for it to be refunded again, and markSecond's
// ERROR says the payment's refunded total holds it. The payment read here
// may change before the write, which may then count what this read
// refuses, or refuse what it takes (the payment's own refund written
// meanwhile: observe records it as refused then). A transaction of another
// payment is left to the write, which refuses the fact.
func (e *Engine) markOtherRefunded(ctx context.Context, b getpaid.Backend, id string, obs *getpaid.Observation) error {
	p, err := e.store.Payment(ctx, id)
	switch {
	case isNotFound(err):
		return nil // the write says so
	case err != nil:
		return fmt.Errorf("whether broker transaction %s is the payment's: %w", obs.ExternalID, err)
	case p.Backend != b.Name || p.ExternalID == "" || p.ExternalID == obs.ExternalID:
		return nil
	}
	if other, err := e.anotherPayments(ctx, b, id, obs); other || err != nil {
		return err
	}
	if _, err := getpaid.Apply(p.Clone(), obs); err != nil {
		if _, err := e.mark(context.WithoutCancel(ctx), id, b.Name+refusedMark+obs.ExternalID); err != nil {
			return fmt.Errorf("record the refund of broker transaction %s, refused: %w", obs.ExternalID, err)
		}
	}
	return nil
}

// otherCapture reports whether obs is a capture, or an advance (money held
// for another amount), of another broker transaction than the one that
// paid p (a second transaction, when it changes nothing).
func otherCapture(obs *getpaid.Observation, p *getpaid.Payment) bool {
	return (obs.Kind == getpaid.KindCaptured || obs.Kind == getpaid.KindAdvance) && obs.ExternalID != "" && p.ExternalID != "" &&
		obs.ExternalID != p.ExternalID && p.Captured > 0
}

// SecondTransaction reports whether the engine records obs, a broker's
// fact about payment p as it stands, as a second transaction of p (a buyer
// who paid twice), counting nothing: a capture or an advance of another
// broker transaction than the one that paid p, or an advance of another
// transaction than the one whose advance p holds, of the amount it holds.
// Captures are cumulative within one transaction only. `getpaid callback
// check` asks it for its dry run.
func SecondTransaction(p *getpaid.Payment, obs *getpaid.Observation) bool {
	return otherCapture(obs, p) || sameAdvance(obs, p)
}

// sameAdvance reports whether obs is an advance of another broker
// transaction than the one whose advance p holds, of the amount p holds:
// it changes nothing, and its money is counted nowhere (a second
// transaction).
func sameAdvance(obs *getpaid.Observation, p *getpaid.Payment) bool {
	return obs.Kind == getpaid.KindAdvance && obs.ExternalID != "" && p.ExternalID != "" &&
		obs.ExternalID != p.ExternalID && p.Captured == 0 && p.Advance > 0 && obs.Amount.Minor == p.Advance
}

// otherRefund reports whether obs is a refund none of getpaid's operations
// asked for, of another broker transaction than p's (the one that paid it:
// a second transaction of the payment, refunded at the broker).
func otherRefund(obs *getpaid.Observation, p *getpaid.Payment) bool {
	return obs.Kind == getpaid.KindRefunded && obs.OperationID == "" && obs.ExternalID != "" &&
		p.ExternalID != "" && obs.ExternalID != p.ExternalID
}

// markSecond records, before obs's write, for payment id, that the broker
// transaction obs captures (or holds, an advance) is a second transaction
// of it: one whose capture counts nothing because the payment was paid by
// another (captured, naming another broker id), and is no other payment's
// own (a fact naming two payments, which the write refuses). A refund of it
// getpaid did not ask for is then not the payment's. A payment paid by
// another transaction after this read is recorded so by obs's write
// (Marks in observe). A repeat of a capture already recorded is not
// marked: one that was a second transaction was marked on its first
// delivery (by its write, in its transaction, when not here), and one that
// counted (it paid the payment, or the rest of it, as releases before
// captures of other transactions counted nothing did) would look like a
// second one now that the payment holds its money.
func (e *Engine) markSecond(ctx context.Context, b getpaid.Backend, id string, obs *getpaid.Observation) error {
	ext := obs.ExternalID
	p, err := e.store.Payment(ctx, id)
	switch {
	case isNotFound(err):
		return nil // the write says so
	case err != nil:
		return fmt.Errorf("whether broker transaction %s is a second one: %w", ext, err)
	case p.Backend != b.Name || p.ExternalID == "" || p.ExternalID == ext:
		return nil
	case p.Captured == 0 && p.Advance > 0:
		return e.markAdvanceDropped(ctx, b, p, obs)
	case p.Captured == 0:
		return nil
	}
	if _, err := getpaid.Apply(p.Clone(), obs); err != nil {
		// Refused: no second transaction. One that would count (more
		// than captured so far) counts nothing either: captures are
		// cumulative within one transaction, and another transaction's
		// amount is its own.
		return nil
	}
	if k := eventKey(b, obs); k != "" {
		// Only here, past the checks above: the first capture of a
		// payment (the usual one) reads nothing more.
		switch repeat, err := e.store.EventApplied(ctx, id, k); {
		case err != nil:
			return fmt.Errorf("whether broker transaction %s is a second one: %w", ext, err)
		case repeat:
			return nil
		}
	}
	// Another payment's own transaction is no second one of this one: the
	// write refuses the fact naming both.
	switch other, err := e.anotherPayments(ctx, b, id, obs); {
	case err != nil:
		return fmt.Errorf("whether broker transaction %s is a second one: %w", ext, err)
	case other:
		return nil
	}
	switch recorded, err := e.mark(ctx, id, secondKey(b, ext)); {
	case err != nil:
		return fmt.Errorf("record broker transaction %s as a second one: %w", ext, err)
	case recorded:
		// Recorded now: counted once, whichever delivery or poll of it
		// comes first (a repeat finds the record written). One recorded
		// before (its capture reported again, by a poll after the
		// notification) was counted then: a refund recorded since was
		// not counted (the payment's was not).
		e.secondRecorded(ctx, b, p, ext)
	}
	return nil
}

// secondRecorded tells the SecondTransaction hook that broker transaction
// ext was recorded as a second transaction of payment p, just now (once),
// and says whether its refund, delivered before its capture, was counted
// as p's.
func (e *Engine) secondRecorded(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, ext string) {
	e.secondTransaction(ctx, b, p.ID, ext)
	if refunded, err := e.store.EventApplied(ctx, p.ID, secondRefundedKey(b, ext)); err == nil && refunded {
		// Its refund came first (delivered out of order), before it was
		// a second transaction, and was counted as the payment's (its
		// write recorded it: observe, which says so too should it look
		// after this).
		e.logSecondRefundCounted(ctx, b, p, ext)
	}
}

// markAdvanceDropped records, before obs's capture pays payment p, or its
// advance replaces p's (another transaction holding money for another
// amount too), that the transaction whose advance p holds (another amount
// paid, named by p's broker id) is a second transaction: the fact clears
// the advance and that money stays at the broker, counted nowhere.
// Silently dropped, it was never refunded, and its refund counted as the
// payment's. An advance of the amount p holds, of another transaction,
// changes nothing: that transaction's money is the one counted nowhere,
// and is recorded instead.
func (e *Engine) markAdvanceDropped(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, obs *getpaid.Observation) error {
	next, dropped := p.Clone(), p.ExternalID
	switch changed, err := getpaid.Apply(next, obs); {
	case err != nil:
		return nil
	case !changed && sameAdvance(obs, p):
		dropped = obs.ExternalID
	case !changed || next.ExternalID == p.ExternalID:
		return nil
	}
	if k := eventKey(b, obs); k != "" {
		// A repeat of a fact applied before (the first advance delivered
		// again after another's replaced it) changes nothing: the
		// transaction whose advance p holds now is its own.
		switch repeat, err := e.store.EventApplied(ctx, p.ID, k); {
		case err != nil:
			return fmt.Errorf("whether broker transaction %s clears the advance of %s: %w", obs.ExternalID, p.ExternalID, err)
		case repeat:
			return nil
		}
	}
	// Another payment's own transaction clears nothing: the write refuses
	// the fact naming both.
	switch other, err := e.anotherPayments(ctx, b, p.ID, obs); {
	case err != nil:
		return fmt.Errorf("whether broker transaction %s clears the advance of %s: %w", obs.ExternalID, p.ExternalID, err)
	case other:
		return nil
	}
	switch recorded, err := e.mark(ctx, p.ID, secondKey(b, dropped)); {
	case err != nil:
		return fmt.Errorf("record broker transaction %s, whose advance another one's %s drops, as a second one: %w", dropped, obs.Kind, err)
	case recorded:
		// No notification's outcome says second_transaction here (the
		// capture pays the payment: applied): the hook is what is heard.
		e.secondTransaction(ctx, b, p.ID, dropped)
	}
	if dropped == obs.ExternalID {
		e.logSameAdvance(ctx, b, p, obs)
		return nil
	}
	e.log.ErrorContext(ctx, "the broker reports another transaction for the payment (paying it, or holding money for another amount too) than the one whose money it held for another amount (an advance): that money is not counted; "+secondAdvice(b),
		"payment", p.ID, "backend", b.Name, "transaction", obs.ExternalID, "kind", obs.Kind, "second_transaction", p.ExternalID, "advance", getpaid.Money{Minor: p.Advance, Currency: p.Amount.Currency}.String())
	return nil
}

// logSameAdvance logs obs, an advance of another transaction than the one
// whose advance p holds, of the amount p holds (sameAdvance), recorded as
// a second transaction.
func (e *Engine) logSameAdvance(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, obs *getpaid.Observation) {
	e.log.ErrorContext(ctx, "the broker reports another transaction holding the amount the payment's advance holds (another amount paid twice): its money is not counted; "+secondAdvice(b),
		"payment", p.ID, "backend", b.Name, "transaction", p.ExternalID, "second_transaction", obs.ExternalID, "advance", obs.Amount.String())
}

// secondAdvice is what the log tells an operator to do with the money of
// a second transaction: a broker whose money getpaid confirms
// (getpaid.CallbackConfirmer: Przelewy24's verify) gives back by itself
// what getpaid never confirmed, a second transaction's or an advance's;
// others keep it for a refund.
func secondAdvice(b getpaid.Backend) string {
	if _, ok := b.Broker.(getpaid.CallbackConfirmer); ok {
		return "getpaid did not confirm it, so the broker gives its money back to the buyer itself (refund it at the broker only if its panel shows it confirmed)"
	}
	return "refund it at the broker or settle it with the buyer"
}

// errUncheckedExternalID stops a write whose fact names a broker id that is
// not the payment's own, until samePayment has looked it up.
var errUncheckedExternalID = errors.New("broker id not checked")

// samePayment refuses a fact whose broker id belongs to another payment than
// the one its getpaid id names: it says nothing sure about either. A broker
// id no payment has is a new transaction of this one (a buyer's second try
// at Przelewy24 or Dotpay) and passes.
func (e *Engine) samePayment(ctx context.Context, b getpaid.Backend, id string, obs *getpaid.Observation) error {
	other, err := e.store.PaymentByExternalID(ctx, b.Name, obs.ExternalID)
	switch {
	case isNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("look up broker id %s: %w", obs.ExternalID, err)
	case other.ID != id:
		return fmt.Errorf("payment %s: broker id %s is payment %s's: %w", id, obs.ExternalID, other.ID, getpaid.ErrPaymentMismatch)
	}
	return nil
}

// endedWith reports whether obs ends a refund of payment id that ended
// with that very outcome already (its answer, a lookup or an operator):
// decide in observe answers it as a repeat.
func (e *Engine) endedWith(ctx context.Context, b getpaid.Backend, id string, obs *getpaid.Observation) bool {
	if opResultKind(obs.Kind) == "" {
		return false
	}
	op, err := e.operationFor(ctx, b, id, obs, nil)
	return err == nil && op != nil && endedSo(op, obs)
}

// unknown acknowledges a valid fact about no payment of ours, so the broker
// stops sending it.
func (e *Engine) unknown(ctx context.Context, b getpaid.Backend, obs *getpaid.Observation, res *getpaid.CallbackResult) error {
	e.log.WarnContext(ctx, "callback for unknown payment", "backend", b.Name, "payment", obs.PaymentID, "external_id", obs.ExternalID)
	res.Outcome = getpaid.OutcomeUnknown
	return nil
}

// refused reports a fact the payment cannot take (a wrong amount, another
// backend's payment, a store failure), unless it is a repeat of an event
// applied before: a redelivered refund notification looks wrong against
// today's amounts, and is acknowledged as the duplicate it is.
func (e *Engine) refused(ctx context.Context, b getpaid.Backend, id string, obs *getpaid.Observation, res *getpaid.CallbackResult, err error) error {
	if key := eventKey(b, obs); key != "" && !errors.Is(err, getpaid.ErrUnavailable) {
		if applied, aerr := e.store.EventApplied(ctx, id, key); aerr == nil && applied {
			res.Outcome = getpaid.OutcomeDuplicate
			return nil
		}
	}
	if errors.Is(err, getpaid.ErrUnavailable) {
		// Not refused: not recorded yet. The broker is answered 503 and
		// sends it again.
		if ok, missed := e.unrecorded.Allow(); ok {
			e.log.WarnContext(ctx, "broker observation not recorded: the store is unavailable (the broker sends it again; further ones are counted, not logged, until the minute ends)",
				"backend", b.Name, "payment", id, "kind", obs.Kind, "err", err, "unlogged_in_last_window", missed)
		}
		return fmt.Errorf("apply to %s: %w", id, err)
	}
	if unasked := (*unaskedError)(nil); errors.As(err, &unasked) && getpaid.IsRetryable(err) {
		// Not refused: held back while the broker cannot be asked
		// (answered 503, sent again), as long as it is down.
		e.log.WarnContext(ctx, "broker observation not recorded yet: it may be a refund an operator resolved as done, and the broker could not be asked (it sends it again)",
			"backend", b.Name, "payment", id, "kind", obs.Kind, "broker_status", obs.BrokerStatus, "amount", obs.Amount.String(), "err", err)
		return fmt.Errorf("apply to %s: %w", id, err)
	}
	e.log.ErrorContext(ctx, "broker observation refused", "backend", b.Name, "payment", id, "kind", obs.Kind,
		"broker_status", obs.BrokerStatus, "amount", obs.Amount.String(), "err", err)
	return fmt.Errorf("apply to %s: %w", id, err)
}

// resolve finds the payment an observation is about: by getpaid's id, else by
// the broker's id, else through getpaid's operation the broker echoes (a
// Dotpay refund URLC whose control is the refund's operation id and which
// names no payment).
func (e *Engine) resolve(ctx context.Context, backend string, obs *getpaid.Observation) (*getpaid.Payment, error) {
	if obs.PaymentID != "" {
		p, err := e.store.Payment(ctx, obs.PaymentID)
		if err == nil || !isNotFound(err) || (obs.ExternalID == "" && obs.OperationID == "") {
			return p, err
		}
	}
	if obs.ExternalID != "" {
		p, err := e.store.PaymentByExternalID(ctx, backend, obs.ExternalID)
		if err == nil || !isNotFound(err) || obs.OperationID == "" {
			return p, err
		}
	}
	if obs.OperationID != "" {
		op, err := e.store.Operation(ctx, obs.OperationID)
		if err != nil {
			return nil, err
		}
		return e.store.Payment(ctx, op.PaymentID)
	}
	return nil, getpaid.ErrNotFound
}

// operationFor finds the money operation of payment id a broker fact is
// about: by getpaid's operation id when the broker echoes it, else, for a
// refund, by the broker's own id of it, which getpaid learns from the
// broker's answer, or else from the broker's lookup of a refund whose
// answer was lost (PayU's notification names a refund by its refundId
// only). A refund's end naming neither (Tpay's CHARGEBACK) is the refund
// whose lookup reports the same fact (event id). Nil when there is none.
// A fact echoing an operation of another payment than the one its ids name
// is an error wrapping getpaid.ErrPaymentMismatch; one that may be a refund
// an operator resolved as done, which the broker could not be asked about,
// is an error wrapping the lookup's (lookUpOperation). The refunds an
// operator resolved as done that the broker says it never made (or
// rejected), found on the way, are added to gone when it is not nil.
func (e *Engine) operationFor(ctx context.Context, b getpaid.Backend, id string, obs *getpaid.Observation, gone *[]*getpaid.Operation) (*getpaid.Operation, error) {
	op, refunds, err := namedOperation(ctx, e.store, id, obs)
	switch {
	case op != nil || err != nil || refunds == nil:
		return op, err
	case obs.BrokerRef == "":
		// A fact naming neither getpaid's operation nor the broker's id of
		// it (Tpay's CHARGEBACK): it is the operation whose lookup reports
		// the very same fact, by its event id.
		return e.lookUpOperation(ctx, b, refunds, obs, gone, func(o *getpaid.Observation) bool {
			return o.EventID == obs.EventID && o.Kind == obs.Kind
		})
	}
	return e.lookUpOperation(ctx, b, refunds, obs, gone, func(o *getpaid.Observation) bool { return o.BrokerRef == obs.BrokerRef })
}

// namedOperation is operationFor without asking the broker: getpaid's
// operation of payment id that obs names by getpaid's operation id or by
// the broker's id of a refund, read from store. When none is named so but
// one of the payment's refunds may be it (found by asking the broker about
// each: operationFor), refunds lists them. An error is a fact naming
// another payment's operation (getpaid.ErrPaymentMismatch); what cannot be
// read is left to the write, which says so.
func namedOperation(ctx context.Context, store getpaid.Store, id string, obs *getpaid.Observation) (op *getpaid.Operation, refunds []*getpaid.Operation, err error) {
	if id == "" {
		return nil, nil, nil
	}
	if obs.OperationID != "" {
		op, err := store.Operation(ctx, obs.OperationID)
		switch {
		case isNotFound(err):
			// An id naming none of getpaid's operations (Dotpay's control
			// with a character moved to or from the description, which
			// its signature runs together with it): the broker's id of
			// the refund still finds it, below.
		case err != nil:
			return nil, nil, nil // unreadable: the write says so
		case op.PaymentID == id:
			return op, nil, nil
		default:
			// getpaid's operation of another payment than the one the
			// fact's getpaid or broker id names (a refund notification
			// echoing payment A's refund, Dotpay's control or Przelewy24's
			// requestId, and naming payment B): it says nothing sure about
			// either. An id naming no payment passes: the payment is then
			// found through the operation.
			if _, err := store.Payment(ctx, id); err != nil {
				return nil, nil, nil
			}
			return nil, nil, fmt.Errorf("payment %s: operation %s is payment %s's: %w", id, op.ID, op.PaymentID, getpaid.ErrPaymentMismatch)
		}
	}
	if opResultKind(obs.Kind) == "" && (obs.Kind != getpaid.KindRefundStarted || obs.BrokerRef == "") {
		return nil, nil, nil
	}
	if obs.BrokerRef == "" && obs.EventID == "" {
		return nil, nil, nil
	}
	page, err := store.Operations(ctx, getpaid.OperationFilter{PaymentID: id, Kind: getpaid.OpRefund, Limit: getpaid.MaxPageSize})
	if err != nil {
		return nil, nil, nil
	}
	if obs.BrokerRef != "" {
		for _, op := range page.Operations {
			if op.BrokerRef == obs.BrokerRef {
				return op, nil, nil
			}
		}
	}
	return nil, page.Operations, nil
}

// EndedRefund is the refund of payment id that obs (a refund done or
// refused) ends, when that refund ended with that very outcome already (its
// answer, a lookup or an operator's resolution, under another event than
// obs's): serve answers obs as a repeat. It reads store alone: a refund
// found only by asking the broker (one whose answer was lost; Tpay's
// CHARGEBACK) is not found here, where serve finds it. getpaid callback
// check says with it what serve would answer.
func EndedRefund(ctx context.Context, store getpaid.Store, id string, obs *getpaid.Observation) (*getpaid.Operation, error) {
	if opResultKind(obs.Kind) == "" {
		return nil, nil
	}
	op, _, err := namedOperation(ctx, store, id, obs)
	if err != nil || op == nil || !endedSo(op, obs) {
		return nil, err
	}
	return op, nil
}

// endedSo reports whether op ended with the outcome obs reports for it.
func endedSo(op *getpaid.Operation, obs *getpaid.Observation) bool {
	return op.State.Final() && outcome(op, obs) == op.State
}

// unrequestedRefund reports whether obs is a refund done that none of
// payment id's refunds still under way can be (one made in the broker's
// panel while getpaid's own are pending): each of those has the broker's id
// of it, and obs names another. When one lacks it (its answer was lost, or
// the broker names no refund, as Tpay's CHARGEBACK), obs may be that refund,
// and it is applied as any refund, taking a reservation up to its amount;
// else it is applied as getpaid.Observation.Unrequested says. An error is
// the refunds unread: whether one is under way is not known.
func (e *Engine) unrequestedRefund(ctx context.Context, id string, obs *getpaid.Observation) (bool, error) {
	if obs.Kind != getpaid.KindRefunded || obs.BrokerRef == "" || obs.OperationID != "" || id == "" {
		return false, nil
	}
	page, err := e.store.Operations(context.WithoutCancel(ctx), getpaid.OperationFilter{PaymentID: id, Kind: getpaid.OpRefund, Limit: getpaid.MaxPageSize})
	if err != nil {
		return false, err
	}
	if page.NextCursor != "" {
		return false, nil
	}
	for _, op := range page.Operations {
		if !op.State.Final() && (op.BrokerRef == "" || op.BrokerRef == obs.BrokerRef) {
			return false, nil
		}
	}
	return true, nil
}

// partialCaptureUnderWay reports what payment id will have captured once
// getpaid's capture of part of its hold, under way (not yet answered, or in
// doubt), is done, when obs is a broker's capture of more than that by a
// broker that captures another amount only out of a hold and releases the
// rest with it (Observation.HoldFirst and ReleaseRest: PayU). An error is
// the captures unread: what is under way is not known.
func (e *Engine) partialCaptureUnderWay(ctx context.Context, id string, obs *getpaid.Observation) (int64, bool, error) {
	if obs.Kind != getpaid.KindCaptured || !obs.HoldFirst || !obs.ReleaseRest || id == "" {
		return 0, false, nil
	}
	page, err := e.store.Operations(context.WithoutCancel(ctx), getpaid.OperationFilter{PaymentID: id, Kind: getpaid.OpCapture, Limit: getpaid.MaxPageSize})
	if err != nil {
		return 0, false, err
	}
	for _, op := range page.Operations {
		if asked := op.Baseline + op.Amount.Minor; !op.State.Final() && op.Amount.Minor > 0 && obs.Amount.Minor > asked {
			return asked, true, nil
		}
	}
	return 0, false, nil
}

// releaseUnderWay reports whether obs is a failure of payment id while
// getpaid's release of its hold, or cancellation of it, is under way (not
// yet answered, or in doubt): what the broker ended is then what getpaid
// asked it to end. An error is the operations unread: whether one is under
// way is not known.
func (e *Engine) releaseUnderWay(ctx context.Context, id string, obs *getpaid.Observation) (bool, error) {
	if obs.Kind != getpaid.KindFailed || id == "" {
		return false, nil
	}
	page, err := e.store.Operations(context.WithoutCancel(ctx), getpaid.OperationFilter{PaymentID: id, Limit: getpaid.MaxPageSize})
	if err != nil {
		return false, err
	}
	for _, op := range page.Operations {
		if (op.Kind == getpaid.OpRelease || op.Kind == getpaid.OpCancel) && !op.State.Final() {
			return true, nil
		}
	}
	return false, nil
}

// lookUpOperation finds, among a payment's refunds whose broker id getpaid
// never learnt (the answer was lost: in doubt, or still being asked, or
// resolved by an operator since), the one whose lookup the broker answers
// with the same fact (same says), by asking the broker about each (telling
// it the fact: getpaid.OperationRequest.Fact). Nil when
// none is, or the broker cannot say: the fact is then one getpaid did not
// ask for (a refund made in the broker's panel).
//
// A refund an operator resolved as done, which the broker could not be
// asked about, may be the one the fact reports: counted as none of
// getpaid's, it would be counted twice. That is an error wrapping the
// lookup's: not guessed, the broker delivers the fact again. A lookup the
// backend does not support (getpaid.ErrNotSupported: Dotpay without seller
// API credentials) never answers: as for a broker with none, the fact is
// not held back for it.
//
// A refund an operator resolved as done whose lookup the broker answers
// "no such refund" (or "rejected") is added to gone (when not nil) when
// the fact is none of ops': the broker contradicts the operator, and the
// fact, then counted as a refund getpaid did not ask for, may be the very
// money the operator counted (a refund made by hand in the panel), counted
// twice (observe logs it). A fact another of ops is found to be (its
// lookup reports it) is counted as that one's: no such doubt.
func (e *Engine) lookUpOperation(ctx context.Context, b getpaid.Backend, ops []*getpaid.Operation, fact *getpaid.Observation, gone *[]*getpaid.Operation, same func(*getpaid.Observation) bool) (*getpaid.Operation, error) {
	f, ok := b.Broker.(getpaid.OperationFetcher)
	if !ok {
		return nil, nil
	}
	var p *getpaid.Payment
	var unasked error
	// contradicted: refunds to add to gone, should the fact be none of
	// ops' (counted on its own): when it is one, none was counted so.
	var contradicted []*getpaid.Operation
	for _, op := range ops {
		if op.BrokerRef != "" || op.State.Final() && op.ResolvedBy == "" {
			continue
		}
		if p == nil {
			var err error
			if p, err = e.store.Payment(ctx, op.PaymentID); err != nil {
				return nil, nil
			}
		}
		told := *fact // the broker's to read, not to change
		obs, err := call(e, ctx, b.Name, "fetch_operation", func(ctx context.Context) (*getpaid.Observation, error) {
			return f.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op, Fact: &told})
		})
		if err == nil && obs != nil && same(obs) {
			return op, nil
		}
		if op.State == getpaid.OpSucceeded && (isNotFound(err) || err == nil && obs != nil && obs.Kind == getpaid.KindRefundFailed) {
			contradicted = append(contradicted, op)
		}
		if err != nil && !isNotFound(err) && !errors.Is(err, getpaid.ErrNotSupported) && op.State == getpaid.OpSucceeded && unasked == nil {
			unasked = &unaskedError{err: fmt.Errorf("refund %s, resolved as done by %s, may be the one reported, and its broker could not be asked: %w", op.ID, op.ResolvedBy, err)}
		}
	}
	if gone != nil {
		*gone = append(*gone, contradicted...)
	}
	return nil, unasked
}

// unaskedError is a fact held back by lookUpOperation: it may be a refund
// an operator resolved as done, which the broker could not be asked about.
type unaskedError struct{ err error }

func (e *unaskedError) Error() string { return e.err.Error() }
func (e *unaskedError) Unwrap() error { return e.err }

// opResultKind is k when it is a kind that ends a refund operation.
func opResultKind(k getpaid.Kind) getpaid.Kind {
	if k == getpaid.KindRefunded || k == getpaid.KindRefundFailed {
		return k
	}
	return ""
}

// eventKey is the store's dedupe key of a broker event within its payment
// (EventKey).
func eventKey(b getpaid.Backend, obs *getpaid.Observation) string {
	return EventKey(b.Name, obs)
}

// EventKey is the key under which a broker event is recorded as applied to
// its payment (getpaid.Mutation.EventKey, read by Store.EventApplied): the
// backend's name and the broker's event id, "" for an observation without
// one. A notification whose key is recorded is answered as a duplicate.
func EventKey(backend string, obs *getpaid.Observation) string {
	if obs.EventID == "" {
		return ""
	}
	return backend + ":" + obs.EventID
}

// confirm asks a broker that confirms facts (Przelewy24 verify) to confirm obs.
func (e *Engine) confirm(ctx context.Context, b getpaid.Backend, c getpaid.CallbackConfirmer, p *getpaid.Payment, obs *getpaid.Observation) error {
	_, err := call(e, ctx, b.Name, "confirm_callback", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, c.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: obs})
	})
	return err
}
