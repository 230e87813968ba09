package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/getpaid-go/getpaid"
)

// validate checks req against the registry and the limits of its text fields
// (see MaxOrderID and the others); every problem is a *getpaid.FieldError
// naming its field, and nothing is stored or sent to a broker.
func (e *Engine) validate(req *getpaid.PayRequest) (getpaid.Backend, error) {
	if err := checkOrderID(req.OrderID); err != nil {
		return getpaid.Backend{}, err
	}
	b, err := e.backend(req.Backend)
	if err != nil {
		return b, err
	}
	return b, checkFields(req, &b)
}

// checkFields checks req's fields other than its order id and backend:
// money no payment can carry and, with a backend (b not nil), money in a
// currency it does not accept; then the limits of its text fields.
func checkFields(req *getpaid.PayRequest, b *getpaid.Backend) error {
	m := req.Amount
	switch {
	case m == (getpaid.Money{}):
		// Not "unknown currency": the whole amount is missing (an Order
		// without Amount).
		return &getpaid.FieldError{Field: "amount", Reason: "required", Err: getpaid.ErrInvalidAmount}
	case !getpaid.KnownCurrency(m.Currency):
		return &getpaid.FieldError{Field: "currency", Reason: getpaid.UnknownCurrencyReason(m.Currency), Err: getpaid.ErrUnknownCurrency}
	case b != nil && !slices.Contains(b.Broker.Currencies(), m.Currency):
		return &getpaid.FieldError{Field: "currency", Reason: fmt.Sprintf("backend %q does not accept %s", b.Name, m.Currency), Err: getpaid.ErrCurrencyNotAccepted}
	case m.Minor <= 0:
		return &getpaid.FieldError{Field: "amount", Reason: "must be greater than zero", Err: getpaid.ErrInvalidAmount}
	case m.Minor > getpaid.MaxMinor: // what a decimal amount may be (ParseMoney): brokers' answers are read back within it
		return &getpaid.FieldError{Field: "amount", Reason: fmt.Sprintf("more than the largest amount getpaid takes (%s)", getpaid.Money{Minor: getpaid.MaxMinor, Currency: m.Currency}), Err: getpaid.ErrInvalidAmount}
	}
	if err := checkReturnURL(req.ReturnURL); err != nil {
		return err
	}
	if err := checkText("description", req.Description, MaxDescription); err != nil {
		return err
	}
	if err := checkClientIP(req.ClientIP); err != nil {
		return err
	}
	if err := checkIdempotencyKey(req.IdempotencyKey); err != nil {
		return err
	}
	return checkBuyer(req.Buyer)
}

// CheckOrder implements getpaid.OrderValidator: it refuses, as Pay and
// PayOrder would, an order no payment can be made of whichever backend is
// chosen (its id, amount, description, buyer or return URL breaking their
// rules: the checks validate makes, but the backend's), with a
// *getpaid.FieldError naming the field. It reads and stores nothing.
func (e *Engine) CheckOrder(o *getpaid.Order) error {
	if o == nil {
		return fmt.Errorf("engine: check order: %w: no order", getpaid.ErrInvalidRequest)
	}
	if err := checkOrderID(o.ID); err != nil {
		return err
	}
	req := orderRequest(o, "", "")
	return checkFields(&req, nil)
}

// orderRequest is the payment request PayOrder makes of order o.
func orderRequest(o *getpaid.Order, backend, clientIP string) getpaid.PayRequest {
	return getpaid.PayRequest{
		OrderID: o.ID, Backend: backend, Amount: o.Amount, Description: o.Description,
		Buyer: o.Buyer, ReturnURL: o.ReturnURL, ClientIP: clientIP,
	}
}

// newPayment is the new payment req asks for.
func newPayment(req *getpaid.PayRequest) *getpaid.Payment {
	return &getpaid.Payment{
		ID: getpaid.NewID("pay"), OrderID: req.OrderID, Backend: req.Backend,
		Status: getpaid.StatusNew, Amount: req.Amount, Description: req.Description,
		Buyer: req.Buyer, ReturnURL: req.ReturnURL, ClientIP: req.ClientIP,
		CreateKey: req.IdempotencyKey,
	}
}

// Create validates req and stores a new payment (status new). Nothing is stored
// when the request is refused; an order's live payment comes back beside
// getpaid.ErrLivePaymentExists, as from Pay.
func (e *Engine) Create(ctx context.Context, req getpaid.PayRequest) (*getpaid.Payment, error) {
	if _, err := e.validate(&req); err != nil {
		return nil, fmt.Errorf("engine: create payment: %w", err)
	}
	return e.once(ctx, &req, func() (*getpaid.Payment, error) {
		res, err := e.create(ctx, newPayment(&req), getpaid.CreateOptions{OneLivePerOrder: e.oneLive})
		if err != nil {
			return e.createRefused(ctx, &req, err)
		}
		p := res.Payment
		e.log.InfoContext(ctx, "payment created", "payment", p.ID, "order", p.OrderID, "backend", p.Backend, "amount", p.Amount.String())
		return p, nil
	})
}

// Start registers a new payment at its broker and returns where to send the
// buyer; the payment becomes prepared. A payment that is not new is refused
// with a *getpaid.TransitionError and no broker call is made. A Start of a
// payment this engine is already starting (a double click) waits for that
// one and returns its result: the broker is asked once. A Start's broker
// call is not cut short when its caller goes away (its context ends: the
// first request of a double click, a client that retried after its own
// timeout): a registration sent may have been made, and PayU takes one
// order per payment and gives its link in no other answer, so the answer
// is waited for (within the backend's timeout) and recorded, for the
// Start joined to it or a later read. If a Start fails because its caller
// went away before its broker call, the waiting Start asks the broker
// itself rather than answer with the other caller's cancellation.
// (Engines in other processes do not see each other's: the loser's
// registration is then refused when it is recorded.)
func (e *Engine) Start(ctx context.Context, id, clientIP string) (*getpaid.Payment, error) {
	if err := checkClientIP(clientIP); err != nil {
		return nil, fmt.Errorf("engine: start %q: %w", id, err)
	}
	p, err := e.store.Payment(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: start %q: %w", id, err)
	}
	return e.start(ctx, p, clientIP)
}

// starts are the Starts in flight in this process, by payment id: a Start
// of a payment already being started joins it, so a double click registers
// the payment at the broker once (a second registration would leave an
// order there that nobody uses).
type starts struct {
	mu    sync.Mutex
	calls map[string]*startCall
}

// startCall is one Start in flight; done is closed when p, err and
// abandoned are set.
type startCall struct {
	done chan struct{}
	p    *getpaid.Payment
	err  error
	// abandoned: it failed with its caller gone (its context ended)
	// before its broker call, which says nothing of the broker to those
	// who joined it.
	abandoned bool
}

// start is Start for a payment already loaded: one at a time per payment
// in this process, the others getting its result (or, when its caller went
// away before it ended, starting the payment themselves).
func (e *Engine) start(ctx context.Context, p *getpaid.Payment, clientIP string) (*getpaid.Payment, error) {
	if p.Status != getpaid.StatusNew {
		return nil, fmt.Errorf("engine: start %q: %w", p.ID, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusPrepared, Reason: "only a new payment can be started"})
	}
	e.starts.mu.Lock()
	for {
		c, ok := e.starts.calls[p.ID]
		if !ok {
			break
		}
		e.starts.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("engine: start %q: %w", p.ID, ctx.Err())
		}
		if c.err == nil {
			return c.p.Clone(), nil
		}
		if !c.abandoned || ctx.Err() != nil {
			return nil, c.err
		}
		// Its caller went away (a double click's first request, a
		// client retrying after its own timeout): its cancellation is
		// not this caller's answer, who starts the payment itself.
		e.starts.mu.Lock()
	}
	if e.starts.calls == nil {
		e.starts.calls = make(map[string]*startCall)
	}
	c := &startCall{done: make(chan struct{})}
	e.starts.calls[p.ID] = c
	e.starts.mu.Unlock()
	defer func() {
		e.starts.mu.Lock()
		delete(e.starts.calls, p.ID)
		e.starts.mu.Unlock()
		close(c.done)
	}()
	q, called, err := e.startOnce(ctx, p, clientIP)
	c.err, c.abandoned = err, err != nil && !called && ctx.Err() != nil
	if err == nil {
		c.p = q.Clone()
	}
	return q, err
}

// startOnce registers a new payment at its broker and records it prepared;
// called says whether the broker was asked.
func (e *Engine) startOnce(ctx context.Context, p *getpaid.Payment, clientIP string) (q *getpaid.Payment, called bool, err error) {
	id := p.ID
	// Read again now that this Start has the payment's turn: p may have
	// been read before another Start of it committed (one that ended just
	// before this one took the turn), and a payment no longer new is
	// refused without a broker call.
	p, err = e.store.Payment(ctx, id)
	if err != nil {
		return nil, false, fmt.Errorf("engine: start %q: %w", id, err)
	}
	if p.Status != getpaid.StatusNew {
		return nil, false, fmt.Errorf("engine: start %q: %w", id, &getpaid.TransitionError{From: p.Status, To: getpaid.StatusPrepared, Reason: "only a new payment can be started"})
	}
	b, err := e.backend(p.Backend)
	if err != nil {
		return nil, false, fmt.Errorf("engine: start %q: %w", id, err)
	}
	// From here on the caller going away changes nothing: the registration
	// sent is answered and recorded (the backend's timeout bounds it), not
	// abandoned to be sent again, which PayU refuses for good.
	ctx = context.WithoutCancel(ctx)
	prep, err := e.prepare(ctx, b, p, clientIP, true)
	if err != nil {
		return nil, true, fmt.Errorf("engine: start %q: %w", id, err)
	}
	res, err := e.mutate(ctx, id, getpaid.Mutation{
		Cause: "prepared at broker",
		Apply: func(p *getpaid.Payment) (bool, error) {
			return true, getpaid.MarkPrepared(p, prep.ExternalID, prep.Redirect)
		},
	})
	if err != nil {
		return nil, true, fmt.Errorf("engine: start %q: %w", id, err)
	}
	return res.Payment, true, nil
}

// Pay creates a payment and starts it: the one call behind the payment form
// and POST /api/v1/payments. The broker is asked first and the payment is then
// stored already prepared (new -> prepared, with its history row) in one
// commit. If the broker refuses or cannot be reached, nothing is stored (the
// buyer was sent nowhere, so no money can move) and the error is returned:
// a *getpaid.BrokerError from the broker's call, which the caller simply
// tries again when getpaid.IsRetryable says so (the broker down, a timeout),
// else a refusal (bad credentials, a value the broker does not take). A
// request refused before any broker call is a *getpaid.FieldError naming the
// field (a backend checks some limits of its own the same way), wrapping
// getpaid.ErrUnknownBackend, ErrUnknownCurrency (not an ISO 4217 code, or
// not in upper case), ErrCurrencyNotAccepted, ErrInvalidAmount (none, zero or
// less, more than getpaid.MaxMinor) or ErrInvalidRequest (the text fields):
// to tell the caller's mistakes from failures, test errors.As with a
// *getpaid.FieldError rather than errors.Is with one of them. Under Config.OneLivePaymentPerOrder, an
// order that already has a live payment gets getpaid.ErrLivePaymentExists
// together with that payment (with Create, the only case of a payment
// beside an error), so the caller can send the buyer on to it.
func (e *Engine) Pay(ctx context.Context, req getpaid.PayRequest) (*getpaid.Payment, error) {
	b, err := e.validate(&req)
	if err != nil {
		return nil, fmt.Errorf("engine: create payment: %w", err)
	}
	return e.once(ctx, &req, func() (*getpaid.Payment, error) { return e.pay(ctx, b, &req) })
}

// pay is Pay for a valid request that is not a repeat.
func (e *Engine) pay(ctx context.Context, b getpaid.Backend, req *getpaid.PayRequest) (*getpaid.Payment, error) {
	p := newPayment(req)
	opts := getpaid.CreateOptions{OneLivePerOrder: e.oneLive}
	if e.oneLive { // refuse before registering anything at the broker; the store checks again
		page, err := e.store.Payments(ctx, getpaid.PaymentFilter{OrderID: req.OrderID, Limit: getpaid.MaxPageSize})
		if err != nil {
			return nil, fmt.Errorf("engine: create payment: %w", err)
		}
		q, err := e.counting(ctx, page.Payments)
		if err != nil {
			return nil, fmt.Errorf("engine: create payment: %w", err)
		}
		if q != nil {
			err := fmt.Errorf("engine: create payment for order %s: %w", req.OrderID, getpaid.ErrLivePaymentExists)
			if q.CreateKey != "" && q.CreateKey == req.IdempotencyKey { // this request's, made on another instance meanwhile
				return e.createRefused(ctx, req, err)
			}
			return e.given(ctx, q, err)
		}
	}
	prep, err := e.prepare(ctx, b, p, req.ClientIP, false)
	if err != nil {
		return nil, fmt.Errorf("engine: start payment for order %s: %w", req.OrderID, err)
	}
	opts.Then = &getpaid.Mutation{Cause: "prepared at broker", Apply: func(q *getpaid.Payment) (bool, error) {
		return true, getpaid.MarkPrepared(q, prep.ExternalID, prep.Redirect)
	}}
	// The broker registered the payment: a buyer hanging up must not lose it.
	res, err := e.create(context.WithoutCancel(ctx), p, opts)
	if err != nil { // a live payment, or one with this key, created meanwhile by a request racing this one?
		return e.createRefused(context.WithoutCancel(ctx), req, err)
	}
	p = res.Payment
	e.log.InfoContext(ctx, "payment created", "payment", p.ID, "order", p.OrderID, "backend", p.Backend, "amount", p.Amount.String(), "status", p.Status)
	return p, nil
}

// liveBeside returns err and, when it is getpaid.ErrLivePaymentExists, the
// order's live payment beside it (none if it cannot be read; see given).
func (e *Engine) liveBeside(ctx context.Context, orderID string, err error) (*getpaid.Payment, error) {
	if !errors.Is(err, getpaid.ErrLivePaymentExists) {
		return nil, err
	}
	page, lerr := e.store.Payments(ctx, getpaid.PaymentFilter{OrderID: orderID, Limit: getpaid.MaxPageSize})
	if lerr != nil {
		return nil, err
	}
	q, lerr := e.counting(ctx, page.Payments)
	if lerr != nil {
		return nil, err
	}
	return e.given(ctx, q, err)
}

// given returns an order's live payment q, as read, beside err
// (getpaid.ErrLivePaymentExists) once it is durable (see
// getpaid.DurableWaiter): the caller sends the buyer on to it. If the wait
// fails, q is not given, and the error is the wait's.
func (e *Engine) given(ctx context.Context, q *getpaid.Payment, err error) (*getpaid.Payment, error) {
	if q == nil {
		return nil, err
	}
	if werr := e.waitDurable(ctx); werr != nil {
		return nil, fmt.Errorf("engine: create payment: %w", werr)
	}
	return q, err
}

// counting is the payment among ps, an order's, that the one-live rule
// counts as the stores do: live (neither failed nor cancelled), and never
// failed or cancelled before (such a payment leaves the rule for good: paid
// later, it does not block its order again), or nil. Only a live payment's
// history is read; an error is that read's.
func (e *Engine) counting(ctx context.Context, ps []*getpaid.Payment) (*getpaid.Payment, error) {
	for _, q := range ps {
		if !q.Live() {
			continue
		}
		hist, err := e.store.History(ctx, q.ID)
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", q.ID, err)
		}
		if !slices.ContainsFunc(hist, func(t getpaid.Transition) bool {
			return t.To == getpaid.StatusFailed || t.To == getpaid.StatusCancelled
		}) {
			return q, nil
		}
	}
	return nil, nil
}

// prepare asks the broker to register p and checks it answered a redirect.
//
// stored says whether p is in the store (Start) or is stored only once the
// broker registers it (Pay): a failure's log line names what an operator
// can look up, the payment or, when nothing was stored, the order.
func (e *Engine) prepare(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, clientIP string, stored bool) (*getpaid.Prepared, error) {
	if clientIP == "" {
		clientIP = p.ClientIP
	}
	prep, err := call(e, ctx, b.Name, "prepare", func(ctx context.Context) (*getpaid.Prepared, error) {
		return b.Broker.Prepare(ctx, &getpaid.PrepareRequest{Payment: p, ClientIP: clientIP})
	})
	if err != nil {
		if !stored {
			e.log.WarnContext(ctx, "broker prepare failed; nothing stored", "order", p.OrderID, "backend", p.Backend, "err", err, "retryable", getpaid.IsRetryable(err))
			return nil, err
		}
		e.log.WarnContext(ctx, "broker prepare failed", "payment", p.ID, "order", p.OrderID, "backend", p.Backend, "err", err, "retryable", getpaid.IsRetryable(err))
		return nil, err
	}
	if prep == nil || prep.Redirect == nil || prep.Redirect.URL == "" {
		return nil, fmt.Errorf("backend %q returned no redirect", p.Backend)
	}
	return prep, nil
}

// PayOrder reads order orderID from src, checks it may be paid now, and pays
// it through backend (library mode), as Pay does. An order the source does
// not know is getpaid.ErrNotFound; one its OrderChecker refuses is
// getpaid.ErrOrderNotPayable with the checker's reason; a check that could
// not decide (ErrUnavailable, a context's error) is getpaid.ErrUnavailable,
// to try again.
func (e *Engine) PayOrder(ctx context.Context, src getpaid.OrderSource, orderID, backend, clientIP string) (*getpaid.Payment, error) {
	if src == nil {
		return nil, fmt.Errorf("engine: order %q: %w: no OrderSource to read it from", orderID, getpaid.ErrInvalidRequest)
	}
	if f, ok := src.(getpaid.OrderSourceFunc); ok && f == nil {
		return nil, fmt.Errorf("engine: order %q: %w: the OrderSourceFunc is nil", orderID, getpaid.ErrInvalidRequest)
	}
	o, err := src.Order(ctx, orderID)
	if err == nil && o == nil {
		err = getpaid.ErrNotFound // a source that found nothing and said no error
	}
	if err != nil {
		return nil, fmt.Errorf("engine: order %q: %w", orderID, err)
	}
	if chk, ok := src.(getpaid.OrderChecker); ok {
		if err := chk.CheckPayable(ctx, o); err != nil {
			if errors.Is(err, getpaid.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				// Not a refusal: the shop could not tell now (see
				// getpaid.OrderChecker). Try again, not "not payable".
				if !errors.Is(err, getpaid.ErrUnavailable) {
					err = fmt.Errorf("%w: %w", getpaid.ErrUnavailable, err)
				}
				return nil, fmt.Errorf("engine: order %q could not be checked: %w", orderID, err)
			}
			return nil, fmt.Errorf("engine: order %q: %w: %w", orderID, getpaid.ErrOrderNotPayable, err)
		}
	}
	return e.Pay(ctx, orderRequest(o, backend, clientIP))
}
