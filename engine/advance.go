package engine

import (
	"context"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

// AcceptAdvance accepts money the broker holds for a payment that does not
// match it (Payment.Advance: a Przelewy24 notification for another amount).
// The broker confirms it first where it requires that (Przelewy24 verify,
// with the advance's amount); then it counts as captured: partially paid, or
// paid if it covers the payment, with "advance accepted" in its history. It
// is not a money operation (no idempotency key, nothing in the payment's
// operations): a confirmation that fails changes nothing and is returned, and
// one whose answer was lost (an error that says the broker may have acted)
// leaves the advance waiting, charge_started, until a poll (Run polls such
// payments) finds the transaction verified and records it captured. The
// advance is accepted whole: an amount is refused (a *getpaid.FieldError
// naming "amount", ErrInvalidAmount and ErrInvalidRequest), as by
// RejectAdvance.
//
// Decisions of one advance in one engine take turns (an accept and a
// reject sent at once by two operators): the second waits for the first,
// then finds the advance decided and is refused. Engines on one database
// do not wait for each other's: a reject landing in another engine while
// an acceptance is at the broker still fails the payment, and the
// confirmed money is then recorded captured after it (what the broker
// did).
func (e *Engine) AcceptAdvance(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	unlock, err := e.advances.wait(ctx, req.PaymentID)
	if err != nil {
		return nil, fmt.Errorf("engine: accept advance: waiting for another decision of it: %w", err)
	}
	defer unlock()
	p, b, err := e.load(ctx, req.PaymentID)
	if err != nil {
		return nil, fmt.Errorf("engine: accept advance: %w", err)
	}
	if req.Amount != nil {
		// Dropped, the whole advance was accepted whatever was meant.
		return nil, fmt.Errorf("engine: accept advance %s: %w", p.ID, &getpaid.FieldError{Field: "amount",
			Reason: "an advance is accepted whole: the decision takes no amount", Err: errTakesNoAmount})
	}
	if p.Advance <= 0 {
		return nil, fmt.Errorf("engine: accept advance %s: %w", p.ID, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusPartiallyPaid, Reason: "no advance to accept"})
	}
	if p.Advance > p.Amount.Minor {
		// A MoneyError, so that the JSON API says why, as the console does
		// (the request itself names no amount).
		return nil, fmt.Errorf("engine: accept advance %s: %w", p.ID, &getpaid.MoneyError{Input: p.Money(p.Advance).Decimal(),
			Reason: fmt.Sprintf("the advance of %s is more than the payment's %s; leave it to be returned", p.Money(p.Advance), p.Amount),
			Err:    getpaid.ErrInvalidAmount})
	}
	obs := &getpaid.Observation{PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "advance-accepted:" + p.ExternalID,
		Kind: getpaid.KindCaptured, Amount: p.Money(p.Advance), Full: p.Advance == p.Amount.Minor, BrokerStatus: "advance accepted"}
	if c, ok := b.Broker.(getpaid.CallbackConfirmer); ok {
		if err := e.confirm(ctx, b, c, p, obs); err != nil {
			return nil, fmt.Errorf("engine: accept advance %s: %w", p.ID, err)
		}
	}
	res := &getpaid.CallbackResult{Payment: p}
	if err := e.observe(context.WithoutCancel(ctx), b, obs, res, false); err != nil {
		return nil, &ReconciliationError{PaymentID: p.ID, Observation: obs, Err: err}
	}
	e.log.InfoContext(ctx, "advance accepted", "payment", p.ID, "amount", obs.Amount.String())
	return e.result(ctx, p.ID, "")
}

// RejectAdvance leaves money the broker holds for a payment that does not
// match it to be returned to the buyer (Przelewy24 returns an advance it is
// never asked to verify): the payment fails, with the cause in its history.
// A broker that tells the payment's status (getpaid.StatusFetcher) is asked
// first: an acceptance whose answer was lost may have taken the money, and
// the reject is then refused with the capture recorded; when it cannot be
// asked, nothing is rejected.
// An advance decided since it was read (accepted or rejected by another
// operator) is a getpaid.TransitionError: this reject changed nothing.
func (e *Engine) RejectAdvance(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	unlock, err := e.advances.wait(ctx, req.PaymentID)
	if err != nil {
		return nil, fmt.Errorf("engine: reject advance: waiting for another decision of it: %w", err)
	}
	defer unlock()
	p, b, err := e.load(ctx, req.PaymentID)
	if err != nil {
		return nil, fmt.Errorf("engine: reject advance: %w", err)
	}
	if req.Amount != nil {
		return nil, fmt.Errorf("engine: reject advance %s: %w", p.ID, &getpaid.FieldError{Field: "amount",
			Reason: "an advance is rejected whole: the decision takes no amount", Err: errTakesNoAmount})
	}
	if p.Advance <= 0 {
		return nil, fmt.Errorf("engine: reject advance %s: %w", p.ID, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusFailed, Reason: "no advance to reject"})
	}
	if _, ok := b.Broker.(getpaid.StatusFetcher); ok {
		// An acceptance whose answer was lost may have taken the money at
		// the broker (Przelewy24 verified it): the broker is asked first,
		// and what it says is recorded, so the payment is not failed over
		// money kept. Not known (the broker unreachable), nothing is
		// rejected: try again.
		q, err := e.Poll(ctx, p.ID)
		if err != nil {
			return nil, fmt.Errorf("engine: reject advance %s: the broker's status first: %w", p.ID, err)
		}
		if q.Advance <= 0 {
			return nil, fmt.Errorf("engine: reject advance %s: %w", p.ID, &getpaid.TransitionError{From: q.Status, To: getpaid.StatusFailed,
				Reason: "no advance to reject: the broker reports it decided (accepted: the money was taken)"})
		}
		p = q
	}
	obs := &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindFailed, BrokerStatus: "advance rejected: left to be returned"}
	res := &getpaid.CallbackResult{Payment: p}
	if err := e.observe(ctx, b, obs, res, false); err != nil {
		return nil, fmt.Errorf("engine: reject advance %s: %w", p.ID, err)
	}
	if res.Outcome != getpaid.OutcomeApplied {
		// The advance was decided since it was read (another operator
		// accepted or rejected it): the failure changed nothing, and this
		// reject was not done.
		cur, err := e.Payment(ctx, p.ID)
		if err != nil {
			return nil, fmt.Errorf("engine: reject advance %s: %w", p.ID, err)
		}
		return nil, fmt.Errorf("engine: reject advance %s: %w", p.ID, &getpaid.TransitionError{From: cur.Status, To: getpaid.StatusFailed, Reason: "no advance to reject: it was decided meanwhile"})
	}
	return e.result(ctx, p.ID, "")
}
