package dummy

import (
	"context"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

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
	case snap.status == "released":
		o.Kind = getpaid.KindReleased
	case snap.captured > 0:
		o.Kind, o.Amount.Minor = getpaid.KindCaptured, snap.captured
	case snap.locked > 0:
		o.Kind, o.Amount.Minor = getpaid.KindLocked, snap.locked
	}
	return o, nil
}

// Capture implements getpaid.Capturer.
func (b *Broker) Capture(ctx context.Context, req *getpaid.CaptureRequest) (*getpaid.Observation, error) {
	p, amount := req.Payment, req.Amount
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.state[p.ID]
	if !ok || s.locked < amount.Minor {
		return nil, &getpaid.BrokerError{Op: "dummy: capture", Err: fmt.Errorf("no hold of %s", amount)}
	}
	s.locked -= amount.Minor
	s.captured += amount.Minor
	return &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindCaptured, Amount: p.Money(s.captured),
		EventID: fmt.Sprintf("capture:%s:%d", p.ID, s.captured), BrokerStatus: "captured"}, nil
}

// Release implements getpaid.Releaser.
func (b *Broker) Release(ctx context.Context, req *getpaid.ReleaseRequest) (*getpaid.Observation, error) {
	p := req.Payment
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.state[p.ID]
	if !ok || s.locked == 0 {
		return nil, &getpaid.BrokerError{Op: "dummy: release", Err: fmt.Errorf("no hold")}
	}
	s.locked = 0
	if s.captured == 0 {
		s.status = "released"
	}
	return &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindReleased, EventID: "release:" + p.ID, BrokerStatus: "released"}, nil
}

// Refund implements getpaid.Refunder; the dummy refunds at once.
func (b *Broker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	p, amount, refundID := req.Payment, req.Amount, req.OperationID
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.state[p.ID]
	if !ok || s.captured-s.refunded < amount.Minor {
		return nil, &getpaid.BrokerError{Op: "dummy: refund", Err: fmt.Errorf("refund of %s exceeds what was captured", amount)}
	}
	s.refunded += amount.Minor
	return &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindRefunded, Amount: amount, EventID: "refund:" + refundID, BrokerStatus: "refunded"}, nil
}

// PanelSettings implements getpaid.Configurator.
func (b *Broker) PanelSettings(env getpaid.Env) []getpaid.PanelSetting {
	return []getpaid.PanelSetting{
		{Name: "Callback URL (sent with every payment)", Value: env.CallbackURL()},
		{Name: "Paywall", Value: env.PagesURL() + "/pay"},
		{Name: "Signature", Value: "Dummy-Signature: hex HMAC-SHA256 of the raw body with the secret setting"},
	}
}
