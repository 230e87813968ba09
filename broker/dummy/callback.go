package dummy

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

// Callback is the JSON body of a dummy callback.
type Callback struct {
	PaymentID string `json:"payment_id"`
	EventID   string `json:"event_id"`
	Status    string `json:"status"` // paid, failed, partially_paid, pre_auth
	Amount    string `json:"amount"` // decimal in the currency's minor digits
	Currency  string `json:"currency"`
}

// Statuses a callback may carry.
const (
	StatusPaid          = "paid"
	StatusFailed        = "failed"
	StatusPartiallyPaid = "partially_paid"
	StatusPreAuth       = "pre_auth"
)

// ParseCallback implements getpaid.Broker: it checks Dummy-Signature over the
// raw body in constant time, then parses the body strictly. A callback
// signed with the secret is the dummy broker speaking, whoever sent it (its
// paywall, or a script): the dummy remembers what it said (see learn), so
// the captures, releases and refunds that follow know the hold and the
// payment. It changes nothing of getpaid's.
func (b *Broker) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	if err := Verify(b.cfg.Secret, req.Header.Get(SignatureHeader), req.Body); err != nil {
		return nil, err
	}
	o, err := ParseBody(req.Body)
	if err != nil {
		return nil, err
	}
	b.learn(o)
	return o, nil
}

// learn records a signed callback's fact in the dummy's memory, as its
// paywall records the buyer's choice, with the cumulative rules getpaid
// applies: a higher capture takes what it needs from the hold (all of it
// when paid in full), a hold is taken only while nothing is held or
// captured and the payment was not released or cancelled, a failure only
// while nothing was captured, released or cancelled. What the dummy knew already (its paywall's
// choice, its own captures and refunds) stays.
func (b *Broker) learn(o *getpaid.Observation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.state[o.PaymentID]
	if !ok {
		s = &session{currency: o.Amount.Currency}
	}
	if s.currency != o.Amount.Currency {
		return
	}
	switch o.Kind {
	case getpaid.KindCaptured:
		if o.Amount.Minor <= s.captured {
			return
		}
		s.locked = max(0, s.locked-(o.Amount.Minor-s.captured))
		if o.Full {
			s.locked = 0
		}
		s.captured, s.status = o.Amount.Minor, o.BrokerStatus
	case getpaid.KindLocked:
		if o.Amount.Minor <= 0 || s.captured > 0 || s.locked > 0 || s.status == "released" || s.status == "cancelled" {
			return
		}
		s.locked, s.status = o.Amount.Minor, StatusPreAuth
	case getpaid.KindFailed:
		if s.captured > 0 || s.status == StatusFailed || s.status == "released" || s.status == "cancelled" {
			return
		}
		s.locked, s.status = 0, StatusFailed
	default:
		return
	}
	b.state[o.PaymentID] = s
}

// VerifyCallback implements getpaid.CallbackVerifier.
func (b *Broker) VerifyCallback(ctx context.Context, req *getpaid.CallbackRequest) error {
	return Verify(b.cfg.Secret, req.Header.Get(SignatureHeader), req.Body)
}

// Verify checks a Dummy-Signature value against body.
func Verify(secret, signature string, body []byte) error {
	if signature == "" {
		return fmt.Errorf("dummy: %w: missing %s header", getpaid.ErrSignatureInvalid, SignatureHeader)
	}
	got, err := hex.DecodeString(signature)
	if err != nil || len(got) != 32 {
		return fmt.Errorf("dummy: %w: %s is not 64 hex digits", getpaid.ErrSignatureInvalid, SignatureHeader)
	}
	want, _ := hex.DecodeString(Sign(secret, body))
	if !hmac.Equal(got, want) {
		return fmt.Errorf("dummy: %w: HMAC does not match the body", getpaid.ErrSignatureInvalid)
	}
	return nil
}

// ParseBody parses a callback body (already verified) into an observation.
// Unknown fields, a missing field, an unknown status or an amount that is not
// exact in its currency are ErrMalformedCallback.
func ParseBody(body []byte) (*getpaid.Observation, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("dummy: %w: %s", getpaid.ErrMalformedCallback, fmt.Sprintf(format, a...))
	}
	var c Callback
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, bad("body is not the callback JSON: %v", err)
	}
	if dec.More() {
		return nil, bad("trailing data after the JSON object")
	}
	switch {
	case c.PaymentID == "":
		return nil, bad("payment_id missing")
	case c.EventID == "":
		return nil, bad("event_id missing")
	case c.Status == "":
		return nil, bad("status missing")
	}
	amount, err := getpaid.ParseMoney(c.Amount, c.Currency)
	if err != nil {
		return nil, bad("amount: %v", err)
	}
	o := &getpaid.Observation{PaymentID: c.PaymentID, EventID: c.EventID, Amount: amount, BrokerStatus: c.Status}
	switch c.Status {
	case StatusPaid:
		o.Kind, o.Full = getpaid.KindCaptured, true
	case StatusPartiallyPaid:
		o.Kind = getpaid.KindCaptured
	case StatusPreAuth:
		o.Kind = getpaid.KindLocked
	case StatusFailed:
		o.Kind = getpaid.KindFailed
	default:
		return nil, bad("unknown status %q", c.Status)
	}
	return o, nil
}

// EncodeCallback renders c as the body the paywall sends, with its signature.
func EncodeCallback(secret string, c Callback) (body []byte, signature string) {
	body, _ = json.Marshal(c)
	return body, Sign(secret, body)
}
