package dummy

import (
	"context"
	"errors"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

// Faults a Broker can be told to simulate on money operations.
const (
	FaultNone          = ""
	FaultTimeoutAfter  = "timeout-after"  // the operation is done, the answer is lost
	FaultTimeoutBefore = "timeout-before" // the operation is not done, the answer is lost
	Fault5xx           = "5xx"            // the operation is not done; a server error
)

func checkFault(f string) error {
	switch f {
	case FaultNone, FaultTimeoutAfter, FaultTimeoutBefore, Fault5xx:
		return nil
	}
	return fmt.Errorf("dummy: fault %q: want %q, %q or %q", f, FaultTimeoutAfter, FaultTimeoutBefore, Fault5xx)
}

// SetFault switches the fault every later money operation simulates (see
// Config.Fault); FaultNone makes them behave.
func (b *Broker) SetFault(f string) error {
	if err := checkFault(f); err != nil {
		return err
	}
	b.fault.Store(&f)
	return nil
}

// operate runs apply (under the broker's lock) as the configured fault says.
// A lost answer is a BrokerError with Happened set: getpaid cannot know
// whether the operation was done.
func (b *Broker) operate(op string, apply func() (*getpaid.Observation, error)) (*getpaid.Observation, error) {
	fault := *b.fault.Load()
	switch fault {
	case FaultTimeoutBefore:
		return nil, &getpaid.BrokerError{Op: "dummy: " + op, Retryable: true, Happened: true, Err: errors.New("timed out (simulated, before the operation)")}
	case Fault5xx:
		return nil, &getpaid.BrokerError{Op: "dummy: " + op, Retryable: true, Happened: true, Status: 503, Err: errors.New("server error (simulated)")}
	}
	b.mu.Lock()
	obs, err := apply()
	b.mu.Unlock()
	if err == nil && fault == FaultTimeoutAfter {
		return nil, &getpaid.BrokerError{Op: "dummy: " + op, Retryable: true, Happened: true, Err: errors.New("timed out (simulated, after the operation)")}
	}
	return obs, err
}

// FetchStatus implements getpaid.StatusFetcher from what the buyer chose on
// the paywall; a payment nobody has acted on yet reports nothing new.
func (b *Broker) FetchStatus(ctx context.Context, req *getpaid.StatusRequest) (*getpaid.Observation, error) {
	p := req.Payment
	b.mu.Lock()
	s, ok := b.state[p.ID]
	var snap session
	if ok {
		snap = *s
	}
	b.mu.Unlock()
	o := &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindNone}
	if !ok {
		return o, nil
	}
	o.BrokerStatus = snap.status
	o.EventID = fmt.Sprintf("poll:%s:%s:%d:%d:%d", p.ID, snap.status, snap.captured, snap.locked, snap.refunded)
	o.Amount = getpaid.Money{Currency: snap.currency}
	switch {
	case snap.status == StatusFailed:
		o.Kind = getpaid.KindFailed
	case snap.status == "released" && snap.captured == 0, snap.status == "cancelled":
		o.Kind = getpaid.KindReleased
	case snap.captured > 0:
		o.Kind, o.Amount.Minor = getpaid.KindCaptured, snap.captured
		o.ReleaseRest, o.RestHeld = snap.locked == 0, snap.locked > 0
	case snap.locked > 0:
		o.Kind, o.Amount.Minor = getpaid.KindLocked, snap.locked
	}
	return o, nil
}

// Capture implements getpaid.Capturer: part or all of the hold; the rest
// stays held.
func (b *Broker) Capture(ctx context.Context, req *getpaid.CaptureRequest) (*getpaid.Observation, error) {
	p, amount := req.Payment, req.Amount
	return b.operate("capture", func() (*getpaid.Observation, error) {
		s, ok := b.session(p)
		if !ok || s.locked < amount.Minor {
			return nil, &getpaid.BrokerError{Op: "dummy: capture", Err: fmt.Errorf("no hold of %s", amount)}
		}
		s.locked -= amount.Minor
		s.captured += amount.Minor
		return &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindCaptured, Amount: p.Money(s.captured),
			EventID: fmt.Sprintf("capture:%s:%d", p.ID, s.captured), BrokerStatus: "captured", OperationID: req.OperationID}, nil
	})
}

// Release implements getpaid.Releaser.
func (b *Broker) Release(ctx context.Context, req *getpaid.ReleaseRequest) (*getpaid.Observation, error) {
	p := req.Payment
	return b.operate("release", func() (*getpaid.Observation, error) {
		s, ok := b.session(p)
		if !ok || s.locked == 0 {
			return nil, &getpaid.BrokerError{Op: "dummy: release", Err: errors.New("no hold")}
		}
		s.locked = 0
		s.status = "released"
		return &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindReleased, EventID: "release:" + p.ID,
			BrokerStatus: "released", OperationID: req.OperationID}, nil
	})
}

// Cancel implements getpaid.Canceler: a payment the buyer has not decided on
// can no longer be paid on the paywall.
func (b *Broker) Cancel(ctx context.Context, req *getpaid.CancelRequest) (*getpaid.Observation, error) {
	p := req.Payment
	return b.operate("cancel", func() (*getpaid.Observation, error) {
		if s, ok := b.state[p.ID]; ok && s.status != "cancelled" {
			return nil, &getpaid.BrokerError{Op: "dummy: cancel", Err: fmt.Errorf("the buyer already chose %s", s.status)}
		}
		b.state[p.ID] = &session{status: "cancelled", currency: p.Amount.Currency}
		return &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindReleased, EventID: "cancel:" + p.ID,
			BrokerStatus: "cancelled", OperationID: req.OperationID}, nil
	})
}

// Refund implements getpaid.Refunder; the dummy refunds at once. A repeated
// request with the same operation id refunds once.
func (b *Broker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	p, amount := req.Payment, req.Amount
	return b.operate("refund", func() (*getpaid.Observation, error) {
		s, ok := b.session(p)
		if !ok {
			return nil, &getpaid.BrokerError{Op: "dummy: refund", Err: errors.New("nothing was paid")}
		}
		if _, done := s.refunds[req.OperationID]; !done || req.OperationID == "" {
			if s.captured-s.refunded < amount.Minor {
				return nil, &getpaid.BrokerError{Op: "dummy: refund", Err: fmt.Errorf("refund of %s exceeds what was captured", amount)}
			}
			s.refunded += amount.Minor
			if s.refunds == nil {
				s.refunds = map[string]int64{}
			}
			s.refunds[req.OperationID] = amount.Minor
		}
		return refundObservation(p, req.OperationID, amount), nil
	})
}

// FetchOperation implements getpaid.OperationFetcher for refunds: done, or
// getpaid.ErrNotFound when the dummy never refunded under that operation.
// Its records live in this process's memory: for a payment it has no record
// of, or whose record it took from getpaid's, a refund it does not know may
// have been made by another process or before a restart, so it answers that
// it cannot tell (an error, not ErrNotFound: "never made" would be a guess,
// and the money could be refunded twice).
func (b *Broker) FetchOperation(ctx context.Context, req *getpaid.OperationRequest) (*getpaid.Observation, error) {
	p, op := req.Payment, req.Operation
	if op.Kind != getpaid.OpRefund {
		return nil, fmt.Errorf("dummy: look up %s: %w", op.Kind, getpaid.ErrNotSupported)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.state[p.ID]
	var amount int64
	done := false
	if ok {
		amount, done = s.refunds[op.ID]
	}
	if !done && (!ok || s.adopted) {
		return nil, fmt.Errorf("dummy: refund %s: this process has no record of it (the dummy's records live in memory: another process or an earlier run may have made it); resolve it by hand", op.ID)
	}
	if !done {
		return nil, fmt.Errorf("dummy: refund %s: %w", op.ID, getpaid.ErrNotFound)
	}
	return refundObservation(p, op.ID, p.Money(amount)), nil
}

// Refunds reports how many refunds the dummy made for payment id and their
// total: what the broker really did, for tests.
func (b *Broker) Refunds(id string) (n int, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.state[id]; ok {
		for _, a := range s.refunds {
			n++
			total += a
		}
	}
	return n, total
}

// session returns the dummy's record of payment p (b.mu held). The records
// live in each process's memory; several getpaid processes on one database
// each have their own, and the paywall choice or callback of a payment
// reaches only one of them. A process asked to capture, release or refund
// money of a payment it has no record of, though getpaid recorded money for
// it, takes getpaid's record as its own, as every process of a real broker
// shares one.
func (b *Broker) session(p *getpaid.Payment) (*session, bool) {
	if s, ok := b.state[p.ID]; ok {
		if s.adopted && p.Captured > s.captured {
			// getpaid recorded money paid since the record was taken from
			// its own (a top-up through another process, a callback
			// scripted): a real broker's one record has it too.
			s.captured, s.locked, s.refunded = p.Captured, p.Locked, max(s.refunded, p.Refunded)
			switch {
			case p.Locked > 0:
				s.status = StatusPreAuth
			case p.Captured < p.Amount.Minor:
				s.status = StatusPartiallyPaid
			default:
				s.status = StatusPaid
			}
		}
		return s, true
	}
	if p.Captured == 0 && p.Locked == 0 {
		return nil, false
	}
	s := &session{status: StatusPaid, currency: p.Amount.Currency, captured: p.Captured, locked: p.Locked, refunded: p.Refunded, adopted: true}
	switch {
	case p.Captured == 0:
		s.status = StatusPreAuth
	case p.Captured < p.Amount.Minor:
		s.status = StatusPartiallyPaid
	}
	b.state[p.ID] = s
	return s, true
}

func refundObservation(p *getpaid.Payment, opID string, amount getpaid.Money) *getpaid.Observation {
	return &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindRefunded, Amount: amount, EventID: "refund:" + opID,
		BrokerStatus: "refunded", OperationID: opID}
}

// PanelSettings implements getpaid.Configurator.
func (b *Broker) PanelSettings(env getpaid.Env) []getpaid.PanelSetting {
	return []getpaid.PanelSetting{
		{Name: "Callback URL (sent with every payment)", Value: env.CallbackURL()},
		{Name: "Paywall", Value: env.PagesURL() + "/pay"},
		{Name: "Signature", Value: "Dummy-Signature: hex HMAC-SHA256 of the raw body with the secret setting"},
	}
}
