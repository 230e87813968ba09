package tpay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// isJSON reports whether a notification body is JSON.
func isJSON(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '{'
}

// classify tells a basic payment notification from Tpay's other kinds
// (tokenization, token_update, marketplace, BLIK alias events) as
// tpay-openapi-php's JWSVerifiedPaymentNotification does, whichever the
// encoding: a payment carries tr_id. It returns the payment's fields
// form-encoded (a JSON one rewritten, its numbers as their text, which its
// md5sum covers) or, for another kind, nil and its type.
func classify(body []byte) (form []byte, kind string, err error) {
	if isJSON(body) {
		var v map[string]json.RawMessage
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, "", fmt.Errorf("%w: %v", getpaid.ErrMalformedCallback, err)
		}
		if _, ok := v["tr_id"]; !ok {
			var k struct {
				Type  string `json:"type"`
				Event string `json:"event"`
			}
			_ = json.Unmarshal(body, &k)
			return nil, k.Type + k.Event, nil
		}
		vals := url.Values{}
		for key, raw := range v {
			var s string
			if err := json.Unmarshal(raw, &s); err == nil {
				vals.Set(key, s)
				continue
			}
			var n json.Number
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&n); err == nil {
				vals.Set(key, n.String())
			}
			// null, objects and arrays name nothing a payment is read by
		}
		return []byte(vals.Encode()), "", nil
	}
	vals, err := url.ParseQuery(string(body))
	if err == nil && !vals.Has("tr_id") && (vals.Has("type") || vals.Has("event")) {
		return nil, vals.Get("type") + vals.Get("event"), nil
	}
	return body, "", nil
}

// VerifyCallback implements getpaid.CallbackVerifier: the detached JWS in
// X-JWS-Signature over the raw body (see tpaynotify.JWSVerifier) and, for a payment
// notification, the md5sum and the merchant id. Fetching Tpay's certificates
// is network I/O; they are cached.
func (b *Broker) VerifyCallback(ctx context.Context, req *getpaid.CallbackRequest) error {
	_, _, err := b.verify(ctx, req)
	return err
}

// verify checks both signatures; it returns the parsed payment notification,
// or nil and its type for a notification of another kind.
func (b *Broker) verify(ctx context.Context, req *getpaid.CallbackRequest) (*tpaynotify.Notification, string, error) {
	var n *tpaynotify.Notification
	form, kind, err := classify(req.Body)
	if err != nil {
		return nil, "", fmt.Errorf("tpay: %w", err)
	}
	if form != nil {
		if n, err = tpaynotify.ParseNotification(form); err != nil {
			return nil, "", fmt.Errorf("tpay: %w", err)
		}
		// The md5sum first: it needs no network.
		if err := n.CheckMD5(b.cfg.SecurityCode); err != nil {
			return nil, "", fmt.Errorf("tpay: %w", err)
		}
		if n.ID != strconv.Itoa(b.cfg.MerchantID) {
			return nil, "", fmt.Errorf("tpay: %w: notification for merchant %q", getpaid.ErrSignatureInvalid, n.ID)
		}
	}
	if err := b.jws.Verify(ctx, req.Header.Get(SignatureHeader), req.Body); err != nil {
		return nil, "", fmt.Errorf("tpay: %w", err)
	}
	return n, kind, nil
}

// ParseCallback verifies a notification (JWS, md5sum, merchant id) and maps
// it: TRUE or PAID paid (partially when tr_paid is below tr_amount), FALSE
// failed (or, with money held for an over- or underpayment, an advance),
// CHARGEBACK refunded. A payment notification is one carrying tr_id, sent
// as a form or as JSON; a verified notification of another kind
// (tokenization, BLIK alias, ..., either encoding) names no payment and is
// acknowledged
// without changing anything. A bad signature wraps
// getpaid.ErrSignatureInvalid, a body that cannot be read
// getpaid.ErrMalformedCallback; certificates that cannot be fetched give a
// retryable *getpaid.BrokerError.
func (b *Broker) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	n, kind, err := b.verify(ctx, req)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return &getpaid.Observation{Kind: getpaid.KindNone, BrokerStatus: "ignored " + kind}, nil
	}
	o, err := n.Observation(b.unnamedCurrency())
	if err != nil {
		return nil, fmt.Errorf("tpay: %w", err)
	}
	o.ExternalID = "" // the payment's ExternalID is the transactionId; tr_id is the title
	return o, nil
}

// unnamedCurrency is the currency of a notification without tr_currency:
// Tpay names it only for an account in another currency than PLN, so PLN
// when the backend takes it (wherever it stands in currencies), else the
// backend's first currency.
func (b *Broker) unnamedCurrency() string {
	if slices.Contains(b.currencies, "PLN") {
		return "PLN"
	}
	return b.currencies[0]
}
