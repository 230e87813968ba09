package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

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

// createRefused answers a create refused for a taken key or for the order's live
// payment (err): the payment a request with the same key created while
// this one ran (on another instance: requests with one key take turns in
// this one), or else err, with the order's live payment beside
// getpaid.ErrLivePaymentExists (liveBeside).
func (e *Engine) createRefused(ctx context.Context, req *getpaid.PayRequest, err error) (*getpaid.Payment, error) {
	if req.IdempotencyKey != "" && (errors.Is(err, getpaid.ErrConflict) || errors.Is(err, getpaid.ErrLivePaymentExists)) {
		q, lerr := e.created(ctx, req)
		switch {
		case lerr != nil:
			return nil, fmt.Errorf("engine: create payment: %w", lerr) // another request's key, or the store away: the caller may retry
		case q != nil:
			return e.repeated(ctx, q, nil)
		}
	}
	return e.liveBeside(ctx, req.OrderID, fmt.Errorf("engine: create payment: %w", err))
}

// repeated answers a request that its idempotency key shows to be a repeat:
// the payment the first one created, as it is now, or err. That payment was
// read, not written by this request: it is answered only once it is
// durable (see getpaid.DurableWaiter), since the caller sends the buyer to
// its redirect.
func (e *Engine) repeated(ctx context.Context, p *getpaid.Payment, err error) (*getpaid.Payment, error) {
	if err != nil {
		return nil, fmt.Errorf("engine: create payment: %w", err)
	}
	if err := e.waitDurable(ctx); err != nil {
		return nil, fmt.Errorf("engine: create payment: %w", err)
	}
	e.log.InfoContext(ctx, "payment request repeated: its idempotency key names a payment already created", "payment", p.ID, "order", p.OrderID, "status", p.Status)
	return p, nil
}

// keyed serialises, in this process, the create requests that carry one
// idempotency key: a retry sent while its first try waits for the broker
// waits for that try, then finds its payment (created), instead of
// registering another payment at the broker that nobody would use.
// Requests on other instances are not seen: the store's unique key lets one
// of theirs be stored, and the others answer it (createRefused).
type keyed struct {
	mu sync.Mutex
	m  map[string]*keyTurn
}

// keyTurn is one key's turn: held while its channel is full; refs counts
// the requests holding or waiting for it.
type keyTurn struct {
	held chan struct{}
	refs int
}

// wait takes key's turn, or returns ctx's error if it ends first; unlock
// gives the turn back.
func (k *keyed) wait(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*keyTurn)
	}
	t := k.m[key]
	if t == nil {
		t = &keyTurn{held: make(chan struct{}, 1)}
		k.m[key] = t
	}
	t.refs++
	k.mu.Unlock()
	leave := func() {
		k.mu.Lock()
		if t.refs--; t.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
	select {
	case t.held <- struct{}{}:
		return func() { <-t.held; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}

// once runs create for req unless req's idempotency key shows it to be a
// repeat, which gets the payment the first request made (repeated).
// Requests with one key take turns in this process (keyed), so a retry
// waits for its first try rather than racing it to the broker.
func (e *Engine) once(ctx context.Context, req *getpaid.PayRequest, create func() (*getpaid.Payment, error)) (*getpaid.Payment, error) {
	if req.IdempotencyKey == "" {
		return create()
	}
	unlock, err := e.keyed.wait(ctx, req.IdempotencyKey)
	if err != nil {
		return nil, fmt.Errorf("engine: create payment: waiting for a request with the same idempotency key: %w", err)
	}
	defer unlock()
	if q, err := e.created(ctx, req); err != nil || q != nil {
		return e.repeated(ctx, q, err)
	}
	return create()
}
