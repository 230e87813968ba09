package getpaid

import "fmt"

// Kind is what a broker observed about a payment.
type Kind string

// Observation kinds. Amount meanings differ per kind; see Observation.
const (
	KindNone          Kind = "none"           // nothing new (status query with no news, noise events)
	KindPending       Kind = "pending"        // the charge is being processed
	KindLocked        Kind = "locked"         // funds held; Amount is the cumulative hold
	KindCaptured      Kind = "captured"       // Amount is the cumulative captured total
	KindFailed        Kind = "failed"         // declined, abandoned, expired before payment
	KindReleased      Kind = "released"       // the hold, or the unpaid order, was cancelled
	KindRefundStarted Kind = "refund_started" // Amount is the refund asked for
	KindRefunded      Kind = "refunded"       // Amount is this refund's amount (deduped by EventID)
	KindRefundFailed  Kind = "refund_failed"  // the pending refund was cancelled or rejected
	// KindAdvance: the broker holds Amount for the payment, but not what was
	// asked (Przelewy24 keeps such money as an advance until the merchant
	// verifies it). It is recorded for an operator to decide, never paid.
	KindAdvance Kind = "advance"
)

// Observation is one fact a broker reported, parsed from a callback or a status
// query. Cumulative facts (captured, locked) are idempotent by value; refunds
// are deltas made idempotent by EventID, which every broker event carries.
type Observation struct {
	PaymentID  string // getpaid's payment id, when the broker echoes it
	ExternalID string // the broker's id for the payment
	EventID    string // unique per broker event; repeats are applied at most once
	Kind       Kind
	Amount     Money // see Kind
	Full       bool  // with KindCaptured: the broker says the whole amount was paid
	// ReleaseRest, with KindCaptured, says the broker released what the
	// hold had left when it captured (PayU releases the rest of a partial
	// capture): the payment holds nothing more.
	ReleaseRest bool
	// RestHeld, with KindCaptured, says the broker still holds the rest of
	// the hold after the captured amount (the dummy keeps it until it is
	// released): a release it shows so was not done. False says nothing:
	// a broker that does not tell leaves such a release in doubt.
	RestHeld bool
	// HoldFirst, with KindCaptured, says the broker captures another amount
	// than the payment's only out of a hold (PayU completes an order for
	// less than its totalAmount only by a partial capture): such a capture
	// is refused (ErrAmountMismatch) while the payment holds nothing and has
	// captured nothing. With ReleaseRest, once part was captured and nothing
	// is held any more, a larger capture changes nothing: the rest went back
	// with that capture, so it is the order's amount restated.
	HoldFirst bool
	// FinalFailure, with KindLocked, says the broker's orders never leave
	// a failure (PayU: CANCELED and REJECTED are final): a hold it reports
	// for a payment that failed is a late repeat of an earlier state, not
	// money the buyer committed since, and changes nothing (the engine logs
	// it for an operator). Without it such a hold is recorded.
	FinalFailure bool
	BrokerStatus string // the broker's own status word, for history and logs
	// OperationID is getpaid's money operation this fact belongs to, when
	// the broker echoes it (PayU's extRefundId, Przelewy24's requestId).
	OperationID string
	// BrokerRef is the broker's own id of that operation (PayU's refundId).
	BrokerRef string
	// Unrequested, with KindRefunded, says the refund is none of getpaid's
	// refunds still under way (one made in the broker's panel meanwhile):
	// their reservations are kept, as far as what is left allows, instead
	// of this refund taking one.
	Unrequested bool
	// Unrecognized, with KindNone, says the broker reported, in a signed
	// notification, a status getpaid does not know (named in
	// BrokerStatus): nothing is guessed and nothing changes, the
	// notification is acknowledged (refused, the broker would only send it
	// again until it gives up, as a refusal counted against its address),
	// and the engine logs it at error level with the payment, for an
	// operator to look the payment up at the broker.
	Unrecognized bool
	// MustConfirm says the broker keeps the money until getpaid confirms
	// this fact (Przelewy24's transaction/verify; unverified, it gives the
	// money back): the engine applies it only after the backend's broker,
	// a CallbackConfirmer, confirmed it (an advance: records it, and
	// confirms it when an operator accepts it). Reaching a broker that is
	// none (a shop's wrapper that hides ConfirmCallback), it changes
	// nothing, is answered with an error (the broker sends it again) and
	// logged.
	MustConfirm bool
	// PaymentAmount is the payment's whole amount as the broker states it
	// in this fact, when it states it apart from Amount (Tpay's tr_amount
	// next to tr_paid): Apply refuses the fact for a payment of another
	// amount or currency. Zero (no currency) when the broker does not say.
	PaymentAmount Money
}

// Cause is the text recorded in the status history for this observation.
func (o *Observation) Cause() string {
	if o.BrokerStatus != "" {
		return fmt.Sprintf("%s (%s)", o.Kind, o.BrokerStatus)
	}
	return string(o.Kind)
}

// StorableIDs makes o's broker ids (ExternalID, BrokerRef) text as every
// store keeps them (StorableText: a NUL or bytes that are not UTF-8 become
// U+FFFD), so that they compare equal with the ids stored. The engine does
// it to every broker answer; a tool that looks a fact's payment up in a
// store without the engine (getpaid callback check) does it too.
func (o *Observation) StorableIDs() {
	o.ExternalID, o.BrokerRef = storableText(o.ExternalID), storableText(o.BrokerRef)
}

// Apply applies o to p following the status machine, enforcing amount and
// currency checks. Every fact about money the broker reports is recorded,
// whatever the payment's status (a capture reported after a refund began, a
// hold reported after a failure, unless the broker's failures are final:
// money a buyer really paid is never dropped),
// and the status is the one the facts imply (see impliedStatus). It returns
// changed=false, nil error for a repeat or a late event that must not move
// the payment (an equal or lower cumulative capture, "failed" after "paid").
// It returns an error wrapping ErrAmountMismatch when the broker's amount or
// currency does not fit the payment. p is modified only when changed is true.
func Apply(p *Payment, o *Observation) (changed bool, err error) {
	if o.PaymentAmount.Currency != "" && o.PaymentAmount != p.Amount {
		return false, fmt.Errorf("%w: broker's transaction is of %s, payment is %s", ErrAmountMismatch, o.PaymentAmount, p.Amount)
	}
	if o.Kind != KindNone && o.Kind != KindFailed && o.Kind != KindReleased && o.Kind != KindPending && o.Kind != KindRefundFailed {
		if o.Amount.Currency != p.Amount.Currency {
			return false, fmt.Errorf("%w: broker says %s, payment is in %s", ErrAmountMismatch, o.Amount.Currency, p.Amount.Currency)
		}
		if o.Amount.Minor < 0 {
			return false, fmt.Errorf("%w: negative amount %s", ErrAmountMismatch, o.Amount)
		}
	}
	next := *p
	switch o.Kind {
	case KindNone:
		return false, nil
	case KindPending:
		if p.Status != StatusNew && p.Status != StatusPrepared {
			return false, nil
		}
		next.Status = StatusChargeStarted
	case KindLocked:
		switch p.Status {
		case StatusNew, StatusPrepared, StatusChargeStarted:
		case StatusFailed:
			// A hold reported after a failure is money the buyer committed:
			// it is recorded, unless the broker's failures are final.
			if o.FinalFailure {
				return false, nil
			}
		default:
			return false, nil
		}
		if p.Captured > 0 || o.Amount.Minor == 0 || o.Amount.Minor > p.Amount.Minor {
			return false, fmt.Errorf("%w: hold of %s on a payment of %s", ErrAmountMismatch, o.Amount, p.Amount)
		}
		next.Locked = o.Amount.Minor
		next.Status = impliedStatus(&next)
	case KindCaptured:
		if o.Amount.Minor > p.Amount.Minor {
			return false, fmt.Errorf("%w: captured %s exceeds the payment's %s", ErrAmountMismatch, o.Amount, p.Amount)
		}
		if o.Full && o.Amount.Minor != p.Amount.Minor {
			return false, fmt.Errorf("%w: broker says paid %s, payment is %s", ErrAmountMismatch, o.Amount, p.Amount)
		}
		if o.HoldFirst && o.Amount.Minor != p.Amount.Minor && p.Locked == 0 && p.Captured == 0 {
			return false, fmt.Errorf("%w: broker captured %s of a payment of %s that holds nothing", ErrAmountMismatch, o.Amount, p.Amount)
		}
		if o.Amount.Minor == p.Captured && p.Captured > 0 && o.ReleaseRest && p.Locked > 0 {
			// The capture is known (from the broker's answer, or an
			// operator's resolution, which cannot tell that the broker let
			// the rest go), but not that the rest of the hold went back:
			// still held, it could be neither released nor refunded. (A
			// capture of nothing is no capture: a broker's release is a
			// release, KindReleased.)
			next.Locked = 0
			next.Status = impliedStatus(&next)
			break
		}
		if o.Amount.Minor <= p.Captured {
			return false, nil // equal or lower cumulative capture: already known
		}
		if o.HoldFirst && o.ReleaseRest && p.Captured > 0 && p.Locked == 0 {
			// Part of the hold was captured and the rest released with
			// it: the broker can capture nothing more, so a larger amount
			// is the order's restated (PayU does not say that a partly
			// captured order's totalAmount becomes what was captured).
			return false, nil
		}
		delta := o.Amount.Minor - p.Captured
		next.Captured = o.Amount.Minor
		next.Advance = 0
		next.Locked = max(0, p.Locked-delta)
		if o.ReleaseRest || next.Captured == p.Amount.Minor {
			next.Locked = 0
		}
		next.Status = impliedStatus(&next)
	case KindFailed:
		switch p.Status {
		case StatusNew, StatusPrepared, StatusChargeStarted, StatusPreAuth:
			if p.Captured > 0 {
				return false, nil
			}
			next.Status = StatusFailed
			next.Locked = 0
			next.Advance = 0
		default:
			return false, nil // late failure after a success: nothing changes
		}
	case KindReleased:
		switch p.Status {
		case StatusNew, StatusPrepared, StatusChargeStarted, StatusPreAuth:
		default:
			return false, nil
		}
		next.Locked = 0
		next.Advance = 0
		if p.Captured > 0 {
			next.Status = impliedStatus(&next)
		} else {
			next.Status = StatusCancelled
		}
	case KindAdvance:
		switch p.Status {
		case StatusNew, StatusPrepared, StatusChargeStarted:
		case StatusFailed, StatusCancelled:
			// Money the buyer paid after the payment failed or
			// expired is never dropped: it waits for an operator as
			// any advance does (nothing is captured or held in
			// these statuses).
		default:
			return false, nil // the payment was settled otherwise
		}
		if o.Amount.Minor == 0 {
			return false, fmt.Errorf("%w: an advance of nothing", ErrAmountMismatch)
		}
		next.Advance = o.Amount.Minor
		next.Status = StatusChargeStarted
	case KindRefundStarted:
		if o.Amount.Minor <= 0 || o.Amount.Minor > p.Captured-p.Refunded-p.RefundAsked {
			return false, fmt.Errorf("%w: refund of %s exceeds what is refundable", ErrAmountMismatch, o.Amount)
		}
		switch p.Status {
		case StatusPaid, StatusPartiallyPaid, StatusPartiallyRefunded, StatusRefundStarted:
		default:
			reason := "nothing captured to refund"
			if p.Captured > 0 {
				reason = "part of the payment is still held: capture or release the hold first"
			}
			return false, &TransitionError{From: p.Status, To: StatusRefundStarted, Reason: reason}
		}
		next.RefundAsked += o.Amount.Minor
		next.Status = impliedStatus(&next)
	case KindRefunded:
		if o.EventID == "" {
			return false, fmt.Errorf("%w: a refund without an event id cannot be applied at most once", ErrMalformedCallback)
		}
		if o.Amount.Minor <= 0 || o.Amount.Minor > p.Captured-p.Refunded {
			return false, fmt.Errorf("%w: refund of %s exceeds captured minus refunded", ErrAmountMismatch, o.Amount)
		}
		next.Refunded += o.Amount.Minor
		if o.Unrequested {
			next.RefundAsked = min(p.RefundAsked, next.Captured-next.Refunded)
		} else {
			next.RefundAsked = max(0, p.RefundAsked-o.Amount.Minor)
		}
		next.Status = impliedStatus(&next)
	case KindRefundFailed:
		// Zero means every pending refund; any other amount must be one
		// of the payment's.
		if o.Amount.Minor != 0 && (o.Amount.Currency != p.Amount.Currency || o.Amount.Minor < 0) {
			return false, fmt.Errorf("%w: failed refund of %s on a payment in %s", ErrAmountMismatch, o.Amount, p.Amount.Currency)
		}
		if p.RefundAsked == 0 {
			return false, nil
		}
		if o.Amount.Minor > 0 {
			next.RefundAsked = max(0, p.RefundAsked-o.Amount.Minor)
		} else {
			next.RefundAsked = 0
		}
		next.Status = impliedStatus(&next)
	default:
		return false, fmt.Errorf("%w: unknown observation kind %q", ErrMalformedCallback, o.Kind)
	}
	if next.Status == p.Status && next.Captured == p.Captured && next.Locked == p.Locked &&
		next.Refunded == p.Refunded && next.RefundAsked == p.RefundAsked && next.Advance == p.Advance {
		return false, nil
	}
	if next.Status != p.Status {
		if err := checkTransition(p.Status, next.Status); err != nil {
			return false, err
		}
	}
	if o.ExternalID != "" && (next.ExternalID == "" || (o.Kind == KindCaptured || o.Kind == KindAdvance) && p.Captured == 0) {
		// The broker's id of the payment is the first one named, and
		// then the transaction that paid it (not an earlier try that
		// failed, or held money it did not take), or whose advance
		// waits (an operator accepting it takes that transaction's
		// money): its refunds are the payment's.
		next.ExternalID = o.ExternalID
	}
	*p = next
	return true, nil
}

// impliedStatus is the status a payment's money facts imply, for a payment
// on which money moved: a refund pending, then what was refunded, then what
// was captured, then what is held.
func impliedStatus(p *Payment) Status {
	switch {
	case p.RefundAsked > 0:
		return StatusRefundStarted
	case p.Refunded > 0 && p.Refunded == p.Captured:
		return StatusRefunded
	case p.Refunded > 0:
		return StatusPartiallyRefunded
	case p.Captured > 0 && p.Captured == p.Amount.Minor:
		return StatusPaid
	case p.Locked > 0:
		return StatusPreAuth // nothing or part captured, the rest still held
	case p.Captured > 0:
		return StatusPartiallyPaid
	}
	return p.Status
}

// MarkPrepared moves a new payment to prepared, recording the broker's id and
// the redirect. Any other status is a *TransitionError.
func MarkPrepared(p *Payment, externalID string, r *Redirect) error {
	if p.Status != StatusNew {
		return &TransitionError{From: p.Status, To: StatusPrepared, Reason: "only a new payment can be started"}
	}
	p.Status = StatusPrepared
	if externalID != "" {
		p.ExternalID = externalID
	}
	p.Redirect = r
	return nil
}
