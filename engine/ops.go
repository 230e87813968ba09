package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/getpaid-go/getpaid"
)

// ReconciliationError reports that the broker did something (captured,
// refunded, ...) but recording it failed. The broker's result is kept so an
// operator can reconcile; a later callback or poll normally repairs it.
type ReconciliationError struct {
	PaymentID   string
	Observation *getpaid.Observation
	Err         error
}

func (e *ReconciliationError) Error() string {
	return fmt.Sprintf("engine: broker %s for %s succeeded but was not recorded: %v", e.Observation.Kind, e.PaymentID, e.Err)
}
func (e *ReconciliationError) Unwrap() error { return e.Err }

// Poll asks the broker for the payment's status (pull mode) and applies what it
// says. A broker without StatusFetcher gives getpaid.ErrNotSupported.
func (e *Engine) Poll(ctx context.Context, id string) (*getpaid.Payment, error) {
	p, b, err := e.load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: poll: %w", err)
	}
	f, ok := b.Broker.(getpaid.StatusFetcher)
	if !ok {
		return nil, fmt.Errorf("engine: poll %s: %w", id, getpaid.ErrNotSupported)
	}
	obs, err := f.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
	if err != nil {
		return nil, fmt.Errorf("engine: poll %s: %w", id, err)
	}
	if obs.PaymentID == "" && obs.ExternalID == "" {
		obs.PaymentID = p.ID
	}
	// What a poll reports is confirmed with the broker like a notification
	// (Przelewy24 verify) before it is applied.
	res := &getpaid.CallbackResult{Payment: p}
	if err := e.observe(ctx, b, obs, res, true); err != nil {
		return nil, fmt.Errorf("engine: poll: %w", err)
	}
	if res.Outcome != getpaid.OutcomeApplied {
		return e.Payment(ctx, id)
	}
	return res.Payment, nil
}

// PollStale polls the brokers of up to limit payments still waiting on them
// (prepared, charge_started) that have not changed for olderThan and are not
// older than maxAge, so a payment whose notifications were lost is still
// finished. It needs a Store that implements getpaid.StaleLister (else it
// does nothing) and returns how many payments changed. A broker failure on
// one payment is logged and the others are still polled.
func (e *Engine) PollStale(ctx context.Context, olderThan, maxAge time.Duration, limit int) (int, error) {
	sl, ok := e.store.(getpaid.StaleLister)
	if !ok {
		return 0, nil
	}
	now := e.now()
	// Claimed for the wait: another instance sharing the database does not
	// poll the same payments before this one's turn comes round again.
	ps, err := sl.StalePayments(ctx, getpaid.StaleRequest{Now: now, UpdatedBefore: now.Add(-olderThan),
		CreatedAfter: now.Add(-maxAge), Limit: limit, Claim: olderThan})
	if err != nil {
		return 0, fmt.Errorf("engine: poll stale: %w", err)
	}
	changed := 0
	for _, p := range ps {
		if ctx.Err() != nil {
			return changed, ctx.Err()
		}
		b, ok := e.reg.Get(p.Backend)
		if !ok {
			continue
		}
		if _, ok := b.Broker.(getpaid.StatusFetcher); !ok {
			continue
		}
		q, err := e.Poll(ctx, p.ID)
		if err != nil {
			e.log.WarnContext(ctx, "polling a waiting payment failed", "payment", p.ID, "backend", p.Backend, "err", err)
			continue
		}
		if q.Version != p.Version {
			changed++
		}
	}
	return changed, nil
}

// Capture captures req.Amount (by default the whole hold) of a
// pre-authorised payment. It is refused, with no broker call, unless the
// payment is pre_auth and the amount fits the hold.
func (e *Engine) Capture(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	id := req.PaymentID
	p, b, err := e.load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: capture: %w", err)
	}
	amount := p.Money(p.Locked)
	if req.Amount != nil {
		amount = *req.Amount
	}
	if p.Status != getpaid.StatusPreAuth || p.Locked == 0 {
		return nil, fmt.Errorf("engine: capture %s: %w", id, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusPaid, Reason: "no funds held"})
	}
	if amount.Currency != p.Amount.Currency || amount.Minor <= 0 || amount.Minor > p.Locked {
		return nil, fmt.Errorf("engine: capture %s of %s: %w: hold is %s", id, amount, getpaid.ErrInvalidAmount, p.Money(p.Locked))
	}
	c, ok := b.Broker.(getpaid.Capturer)
	if !ok {
		return nil, fmt.Errorf("engine: capture %s: %w", id, getpaid.ErrNotSupported)
	}
	obs, err := c.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: amount, OperationID: getpaid.NewID("op")})
	return e.record(ctx, b, p, obs, err, "capture")
}

// Release releases a pre-authorisation hold.
func (e *Engine) Release(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	id := req.PaymentID
	p, b, err := e.load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: release: %w", err)
	}
	if p.Status != getpaid.StatusPreAuth {
		return nil, fmt.Errorf("engine: release %s: %w", id, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusCancelled, Reason: "no funds held"})
	}
	r, ok := b.Broker.(getpaid.Releaser)
	if !ok {
		return nil, fmt.Errorf("engine: release %s: %w", id, getpaid.ErrNotSupported)
	}
	obs, err := r.Release(ctx, &getpaid.ReleaseRequest{Payment: p, OperationID: getpaid.NewID("op")})
	return e.record(ctx, b, p, obs, err, "release")
}

// Refund refunds amount of a captured payment. The refund is first recorded
// as asked for (refund_started) in one transaction that checks it against
// captured minus refunded minus refunds already pending, so concurrent or
// repeated requests can never ask the broker for more than was paid; only
// then is the broker called. key makes a retried request idempotent: a refund
// with a key seen before is not asked again. An empty key makes a new refund.
func (e *Engine) Refund(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	id, key := req.PaymentID, req.IdempotencyKey
	p, b, err := e.load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: refund: %w", err)
	}
	amount := p.Money(p.Captured - p.Refunded - p.RefundAsked)
	if req.Amount != nil {
		amount = *req.Amount
	}
	r, ok := b.Broker.(getpaid.Refunder)
	if !ok {
		return nil, fmt.Errorf("engine: refund %s: %w", id, getpaid.ErrNotSupported)
	}
	if amount.Currency != p.Amount.Currency || amount.Minor <= 0 {
		return nil, fmt.Errorf("engine: refund %s of %s: %w", id, amount, getpaid.ErrInvalidAmount)
	}
	refundID := getpaid.NewID("rfd")
	if key != "" {
		refundID = "rfd_" + hashKey(id, key)
	}
	intent := &getpaid.Observation{Kind: getpaid.KindRefundStarted, Amount: amount, BrokerStatus: "refund asked"}
	up, err := e.store.UpdatePayment(ctx, id, getpaid.Mutation{
		EventKey: b.Name + ":intent:" + refundID, Cause: intent.Cause(),
		Apply: func(q *getpaid.Payment) (bool, error) {
			switch q.Status {
			case getpaid.StatusPaid, getpaid.StatusPartiallyPaid, getpaid.StatusPartiallyRefunded, getpaid.StatusRefundStarted:
			default:
				return false, &getpaid.TransitionError{From: q.Status, To: getpaid.StatusRefundStarted, Reason: "nothing captured"}
			}
			if refundable := q.Captured - q.Refunded - q.RefundAsked; amount.Minor > refundable {
				return false, fmt.Errorf("%w: refundable is %s", getpaid.ErrInvalidAmount, q.Money(refundable))
			}
			return getpaid.Apply(q, intent)
		},
	})
	if errors.Is(err, getpaid.ErrDuplicateEvent) {
		return e.result(ctx, id) // this refund was asked for already
	}
	if err != nil {
		return nil, fmt.Errorf("engine: refund %s of %s: %w", id, amount, err)
	}
	e.dispatch(ctx, up.Events)
	obs, err := r.Refund(ctx, &getpaid.RefundRequest{Payment: up.Payment, Amount: amount, OperationID: refundID})
	if err != nil {
		var be *getpaid.BrokerError
		if !errors.As(err, &be) || !be.Happened {
			// The broker did nothing: take the request back.
			if _, rerr := e.applyLocal(ctx, b, up.Payment, &getpaid.Observation{Kind: getpaid.KindRefundFailed,
				Amount: amount, EventID: "intent-failed:" + refundID, BrokerStatus: "refund not accepted"}); rerr != nil {
				e.log.ErrorContext(ctx, "refund request not taken back", "payment", id, "refund", refundID, "err", rerr)
			}
		}
		return nil, fmt.Errorf("engine: refund %s: %w", id, err)
	}
	if obs == nil || obs.Kind == getpaid.KindRefundStarted {
		return e.result(ctx, id) // already recorded; the broker's notification finishes it
	}
	return e.record(ctx, b, up.Payment, obs, nil, "refund")
}

// hashKey turns a caller's idempotency key into a refund id of fixed size.
func hashKey(id, key string) string {
	sum := sha256.Sum256([]byte(id + "\x00" + key))
	return hex.EncodeToString(sum[:12])
}

// Cancel cancels a payment the buyer has not paid.
func (e *Engine) Cancel(ctx context.Context, req getpaid.ActionRequest) (*getpaid.ActionResult, error) {
	id := req.PaymentID
	p, b, err := e.load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: cancel: %w", err)
	}
	switch p.Status {
	case getpaid.StatusNew, getpaid.StatusPrepared, getpaid.StatusChargeStarted:
	default:
		return nil, fmt.Errorf("engine: cancel %s: %w", id, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusCancelled, Reason: "only an unpaid payment can be cancelled"})
	}
	if p.Status == getpaid.StatusNew { // never reached the broker
		return e.applyLocal(ctx, b, p, &getpaid.Observation{Kind: getpaid.KindReleased, BrokerStatus: "cancelled before start"})
	}
	c, ok := b.Broker.(getpaid.Canceler)
	if !ok {
		return nil, fmt.Errorf("engine: cancel %s: %w", id, getpaid.ErrNotSupported)
	}
	obs, err := c.Cancel(ctx, &getpaid.CancelRequest{Payment: p, OperationID: getpaid.NewID("op")})
	return e.record(ctx, b, p, obs, err, "cancel")
}

func (e *Engine) load(ctx context.Context, id string) (*getpaid.Payment, getpaid.Backend, error) {
	p, err := e.store.Payment(ctx, id)
	if err != nil {
		return nil, getpaid.Backend{}, fmt.Errorf("payment %q: %w", id, err)
	}
	b, err := e.backend(p.Backend)
	return p, b, err
}

// record applies what an operator action's broker call returned; a persist
// failure after a broker success is a *ReconciliationError.
func (e *Engine) record(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, obs *getpaid.Observation, callErr error, op string) (*getpaid.ActionResult, error) {
	if callErr != nil {
		return nil, fmt.Errorf("engine: %s %s: %w", op, p.ID, callErr)
	}
	if obs == nil {
		return &getpaid.ActionResult{Payment: p}, nil
	}
	res, err := e.applyLocal(ctx, b, p, obs)
	if err != nil {
		e.log.ErrorContext(ctx, "broker action not recorded", "op", op, "payment", p.ID, "kind", obs.Kind, "err", err)
		return nil, &ReconciliationError{PaymentID: p.ID, Observation: obs, Err: err}
	}
	return res, nil
}

// applyLocal applies what getpaid itself decided or a broker answered to an
// operation, through the one path, without a confirmation step.
func (e *Engine) applyLocal(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, obs *getpaid.Observation) (*getpaid.ActionResult, error) {
	if obs.PaymentID == "" && obs.ExternalID == "" {
		o := *obs
		o.PaymentID = p.ID
		obs = &o
	}
	res := &getpaid.CallbackResult{Payment: p}
	if err := e.observe(ctx, b, obs, res, false); err != nil {
		return nil, err
	}
	if res.Outcome != getpaid.OutcomeApplied {
		return e.result(ctx, p.ID)
	}
	return &getpaid.ActionResult{Payment: res.Payment}, nil
}

// result is the ActionResult of the payment as stored now.
func (e *Engine) result(ctx context.Context, id string) (*getpaid.ActionResult, error) {
	p, err := e.Payment(ctx, id)
	if err != nil {
		return nil, err
	}
	return &getpaid.ActionResult{Payment: p}, nil
}
