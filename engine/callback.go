package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

// Outcome says what a callback did.
type Outcome string

// Callback outcomes. All of them are acknowledged to the broker.
const (
	OutcomeApplied   Outcome = "applied"   // the payment changed
	OutcomeNoChange  Outcome = "no_change" // valid, but nothing new (late, equal, noise)
	OutcomeDuplicate Outcome = "duplicate" // this event id was applied before
	OutcomeUnknown   Outcome = "unknown"   // valid, but names no payment of ours
)

// CallbackResult is what HandleCallback did; the HTTP layer acknowledges it
// with the broker's expected body.
type CallbackResult struct {
	Outcome     Outcome
	Payment     *getpaid.Payment
	Observation *getpaid.Observation
	AckType     string // content type of the acknowledgement
	AckBody     []byte // acknowledgement body the broker expects
}

// HandleCallback verifies, deduplicates and applies one broker notification.
// Errors wrap getpaid.ErrUnknownBackend, ErrSourceNotAllowed,
// ErrSignatureInvalid, ErrMalformedCallback, ErrBackendMismatch,
// ErrAmountMismatch, a *getpaid.BrokerError from a confirmation call, or a
// store error; in every error case nothing was changed.
func (e *Engine) HandleCallback(ctx context.Context, backend string, req *getpaid.CallbackRequest) (*CallbackResult, error) {
	b, ok := e.reg.Get(backend)
	if !ok {
		return nil, fmt.Errorf("engine: callback: %w %q", getpaid.ErrUnknownBackend, backend)
	}
	if al, ok := b.Broker.(getpaid.IPAllowlister); ok && !al.AllowCallbackFrom(req.RemoteIP) {
		e.log.WarnContext(ctx, "callback from address not allowed", "backend", backend, "ip", req.RemoteIP)
		return nil, fmt.Errorf("engine: callback %s from %s: %w", backend, req.RemoteIP, getpaid.ErrSourceNotAllowed)
	}
	obs, err := b.Broker.ParseCallback(ctx, req)
	if err != nil {
		e.log.WarnContext(ctx, "callback refused", "backend", backend, "ip", req.RemoteIP, "err", err)
		return nil, fmt.Errorf("engine: callback %s: %w", backend, err)
	}
	res := &CallbackResult{Observation: obs}
	if r, ok := b.Broker.(getpaid.CallbackResponder); ok {
		res.AckType, res.AckBody = r.CallbackAck()
	}
	if _, confirms := b.Broker.(getpaid.CallbackConfirmer); !confirms && obs.PaymentID != "" && obs.Kind != getpaid.KindNone {
		// Nothing to confirm with the broker: load, check and apply in the
		// store's one transaction, without reading the payment first.
		out, err := e.applyDirect(ctx, b, obs, res)
		if !isNotFound(err) || obs.ExternalID == "" {
			return out, err
		}
	}
	p, err := e.resolve(ctx, backend, obs)
	if isNotFound(err) {
		e.log.WarnContext(ctx, "callback for unknown payment", "backend", backend, "payment", obs.PaymentID, "external_id", obs.ExternalID)
		res.Outcome = OutcomeUnknown
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("engine: callback %s: %w", backend, err)
	}
	if p.Backend != backend {
		e.log.WarnContext(ctx, "callback names a payment of another backend", "backend", backend, "payment", p.ID, "payment_backend", p.Backend)
		return nil, fmt.Errorf("engine: callback %s for payment %s of %s: %w", backend, p.ID, p.Backend, getpaid.ErrBackendMismatch)
	}
	res.Payment = p
	return e.applyObservation(ctx, b, p, obs, res, true)
}

// resolve finds the payment an observation is about: by getpaid's id, else by
// the broker's id.
func (e *Engine) resolve(ctx context.Context, backend string, obs *getpaid.Observation) (*getpaid.Payment, error) {
	if obs.PaymentID != "" {
		p, err := e.store.Payment(ctx, obs.PaymentID)
		if err == nil || !isNotFound(err) || obs.ExternalID == "" {
			return p, err
		}
	}
	if obs.ExternalID != "" {
		return e.store.PaymentByExternalID(ctx, backend, obs.ExternalID)
	}
	return nil, getpaid.ErrNotFound
}

// applyObservation is the single path for broker facts: a dry run decides
// whether anything would change (and catches amount mismatches) before any
// confirmation call; then the store applies it in one transaction, deduped by
// event id.
func (e *Engine) applyObservation(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, obs *getpaid.Observation, res *CallbackResult, confirm bool) (*CallbackResult, error) {
	dry := *p
	changed, err := getpaid.Apply(&dry, obs)
	if err != nil && obs.EventID != "" && e.alreadyApplied(ctx, b, p.ID, obs) {
		// A redelivery of an event applied before (a refund notification
		// sent again) looks wrong against today's amounts: it is a repeat.
		res.Outcome = OutcomeDuplicate
		return res, nil
	}
	if err != nil {
		e.log.ErrorContext(ctx, "broker observation refused", "backend", b.Name, "payment", p.ID, "kind", obs.Kind,
			"broker_status", obs.BrokerStatus, "amount", obs.Amount.String(), "payment_amount", p.Amount.String(), "err", err)
		return nil, fmt.Errorf("engine: apply to %s: %w", p.ID, err)
	}
	if !changed {
		res.Outcome = OutcomeNoChange
		return res, nil
	}
	if c, ok := b.Broker.(getpaid.CallbackConfirmer); ok && confirm {
		if err := c.ConfirmCallback(ctx, p, obs); err != nil {
			e.log.WarnContext(ctx, "broker confirmation failed; nothing applied", "backend", b.Name, "payment", p.ID, "err", err)
			return nil, fmt.Errorf("engine: confirm %s: %w", p.ID, err)
		}
	}
	up, err := e.store.UpdatePayment(ctx, p.ID, getpaid.Mutation{
		EventKey: eventKey(b, obs), Cause: obs.Cause(),
		Apply: func(p *getpaid.Payment) (bool, error) { return getpaid.Apply(p, obs) },
	})
	if errors.Is(err, getpaid.ErrDuplicateEvent) {
		res.Outcome = OutcomeDuplicate
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("engine: apply to %s: %w", p.ID, err)
	}
	res.Payment = up.Payment
	res.Outcome = OutcomeNoChange
	if up.Changed {
		res.Outcome = OutcomeApplied
		e.log.InfoContext(ctx, "payment updated", "payment", p.ID, "backend", b.Name, "from", p.Status, "to", up.Payment.Status, "cause", obs.Cause())
	}
	e.dispatch(ctx, up.Events)
	return res, nil
}

// applyDirect applies obs to the payment it names inside UpdatePayment: the
// backend check, the status machine and the amount checks all run in the
// transaction. An unknown payment is acknowledged (OutcomeUnknown) unless the
// caller can still look it up by the broker's id (ErrNotFound is returned).
func (e *Engine) applyDirect(ctx context.Context, b getpaid.Backend, obs *getpaid.Observation, res *CallbackResult) (*CallbackResult, error) {
	var before getpaid.Status
	up, err := e.store.UpdatePayment(ctx, obs.PaymentID, getpaid.Mutation{
		EventKey: eventKey(b, obs), Cause: obs.Cause(),
		Apply: func(p *getpaid.Payment) (bool, error) {
			if p.Backend != b.Name {
				return false, fmt.Errorf("payment %s of %s: %w", p.ID, p.Backend, getpaid.ErrBackendMismatch)
			}
			before = p.Status
			return getpaid.Apply(p, obs)
		},
	})
	switch {
	case errors.Is(err, getpaid.ErrDuplicateEvent):
		res.Outcome = OutcomeDuplicate
		return res, nil
	case isNotFound(err):
		if obs.ExternalID != "" {
			return nil, err
		}
		e.log.WarnContext(ctx, "callback for unknown payment", "backend", b.Name, "payment", obs.PaymentID)
		res.Outcome = OutcomeUnknown
		return res, nil
	case err != nil:
		e.log.ErrorContext(ctx, "broker observation refused", "backend", b.Name, "payment", obs.PaymentID, "kind", obs.Kind,
			"broker_status", obs.BrokerStatus, "amount", obs.Amount.String(), "err", err)
		return nil, fmt.Errorf("engine: callback %s: apply to %s: %w", b.Name, obs.PaymentID, err)
	}
	res.Payment = up.Payment
	res.Outcome = OutcomeNoChange
	if up.Changed {
		res.Outcome = OutcomeApplied
		e.log.InfoContext(ctx, "payment updated", "payment", obs.PaymentID, "backend", b.Name, "from", before, "to", up.Payment.Status, "cause", obs.Cause())
	}
	e.dispatch(ctx, up.Events)
	return res, nil
}

// errOnlyDedupe stops alreadyApplied's mutation from ever changing anything.
var errOnlyDedupe = errors.New("engine: dedupe probe")

// alreadyApplied reports whether obs's event id was applied to the payment
// before. It asks the store's own dedupe, with a mutation that never changes
// anything.
func (e *Engine) alreadyApplied(ctx context.Context, b getpaid.Backend, id string, obs *getpaid.Observation) bool {
	_, err := e.store.UpdatePayment(ctx, id, getpaid.Mutation{
		EventKey: eventKey(b, obs),
		Apply:    func(*getpaid.Payment) (bool, error) { return false, errOnlyDedupe },
	})
	return errors.Is(err, getpaid.ErrDuplicateEvent)
}

// eventKey is the store's dedupe key of a broker event: the backend's name
// and the broker's event id ("" for observations without one).
func eventKey(b getpaid.Backend, obs *getpaid.Observation) string {
	if obs.EventID == "" {
		return ""
	}
	return b.Name + ":" + obs.EventID
}
