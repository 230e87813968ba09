package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

// created is the payment an earlier request with req's idempotency key
// created, or nil when there is none (or req has no key). A payment that
// key created for another request is refused: a key names one request.
func (e *Engine) created(ctx context.Context, req *getpaid.PayRequest) (*getpaid.Payment, error) {
	if req.IdempotencyKey == "" {
		return nil, nil
	}
	page, err := e.store.Payments(ctx, getpaid.PaymentFilter{CreateKey: req.IdempotencyKey, Limit: 1})
	if err != nil {
		return nil, err
	}
	for _, q := range page.Payments {
		if q.CreateKey != req.IdempotencyKey {
			continue // a Store that does not know the filter lists others
		}
		if !sameRequest(q, req) {
			return nil, &getpaid.FieldError{Field: "Idempotency-Key", Reason: "already used for another request (payment " + q.ID + " for order " + q.OrderID + ")", Err: getpaid.ErrInvalidRequest}
		}
		return q, nil
	}
	return nil, nil
}

// sameRequest reports whether p is what req asks for: everything a payment
// request sets but the buyer's IP address, which a retry may come from
// another of.
func sameRequest(p *getpaid.Payment, req *getpaid.PayRequest) bool {
	return p.OrderID == req.OrderID && p.Backend == req.Backend && p.Amount == req.Amount &&
		p.Description == req.Description && p.Buyer == req.Buyer && p.ReturnURL == req.ReturnURL
}

// createdMeanwhile is, after a create refused for a taken key or for the
// order's live payment, the payment a request with the same key created
// while this one ran (the two raced past created), or err when that is not
// what happened.
func (e *Engine) createdMeanwhile(ctx context.Context, req *getpaid.PayRequest, err error) (*getpaid.Payment, error) {
	if req.IdempotencyKey == "" || !errors.Is(err, getpaid.ErrConflict) && !errors.Is(err, getpaid.ErrLivePaymentExists) {
		return nil, err
	}
	q, lerr := e.created(ctx, req)
	switch {
	case lerr != nil:
		return nil, lerr // another request's key, or the store away: the caller may retry
	case q == nil:
		return nil, err
	}
	return q, nil
}

// repeated answers a request that its idempotency key shows to be a repeat:
// the payment the first one created, as it is now, or err.
func (e *Engine) repeated(ctx context.Context, p *getpaid.Payment, err error) (*getpaid.Payment, error) {
	if err != nil {
		return nil, fmt.Errorf("engine: create payment: %w", err)
	}
	e.log.InfoContext(ctx, "payment request repeated: its idempotency key names a payment already created", "payment", p.ID, "order", p.OrderID, "status", p.Status)
	return p, nil
}
