package dummy

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

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
// raw body in constant time, then parses the body strictly. It changes
// nothing: a capture, release or refund after a scripted callback works
// because the dummy takes getpaid's record of a payment it has none of (see
// Broker.session).
func (b *Broker) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	if err := Verify(b.cfg.Secret, req.Header.Get(SignatureHeader), req.Body); err != nil {
		return nil, err
	}
	return ParseBody(req.Body)
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
	if !hmac.Equal(got, mac(secret, body)) {
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
	if _, err := dec.Token(); err != io.EOF {
		// More() is no end check: it is false before a "]" or "}".
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
		// The paywall pre-authorises the whole amount, as "paid" pays it:
		// a hold of another amount is refused, not taken as a partial one.
		o.Kind, o.PaymentAmount = getpaid.KindLocked, amount
	case StatusFailed:
		// A failure names the payment's amount too: one of another amount
		// or currency is about another payment, and is refused.
		o.Kind, o.PaymentAmount = getpaid.KindFailed, amount
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
