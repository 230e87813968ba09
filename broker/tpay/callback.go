package tpay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// isJSON reports whether a notification body is one of Tpay's JSON
// notifications (tokenization, marketplace, BLIK alias events), which carry
// no basic payment.
func isJSON(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '{'
}

// VerifyCallback implements getpaid.CallbackVerifier: the detached JWS in
// X-JWS-Signature over the raw body (see tpaynotify.JWSVerifier) and, for a payment
// notification, the md5sum and the merchant id. Fetching Tpay's certificates
// is network I/O; they are cached.
func (b *Broker) VerifyCallback(ctx context.Context, req *getpaid.CallbackRequest) error {
	_, err := b.verify(ctx, req)
	return err
}

// verify checks both signatures; it returns the parsed payment notification,
// or nil for a JSON notification of another kind.
func (b *Broker) verify(ctx context.Context, req *getpaid.CallbackRequest) (*tpaynotify.Notification, error) {
	var n *tpaynotify.Notification
	if !isJSON(req.Body) {
		var err error
		if n, err = tpaynotify.ParseNotification(req.Body); err != nil {
			return nil, fmt.Errorf("tpay: %w", err)
		}
		// The md5sum first: it needs no network.
		if err := n.CheckMD5(b.cfg.SecurityCode); err != nil {
			return nil, fmt.Errorf("tpay: %w", err)
		}
		if n.ID != strconv.Itoa(b.cfg.MerchantID) {
			return nil, fmt.Errorf("tpay: %w: notification for merchant %q", getpaid.ErrSignatureInvalid, n.ID)
		}
	}
	if err := b.jws.Verify(ctx, req.Header.Get(SignatureHeader), req.Body); err != nil {
		return nil, fmt.Errorf("tpay: %w", err)
	}
	return n, nil
}

// ParseCallback verifies a notification (JWS, md5sum, merchant id) and maps
// it: TRUE or PAID paid (partially when tr_paid is below tr_amount), FALSE
// failed (or, with money held for an over- or underpayment, an advance),
// CHARGEBACK refunded. A verified JSON notification of another kind
// (tokenization, BLIK alias, ...) names no payment and is acknowledged
// without changing anything. A bad signature wraps
// getpaid.ErrSignatureInvalid, a body that cannot be read
// getpaid.ErrMalformedCallback; certificates that cannot be fetched give a
// retryable *getpaid.BrokerError.
func (b *Broker) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	n, err := b.verify(ctx, req)
	if err != nil {
		return nil, err
	}
	if n == nil {
		var v struct {
			Type  string `json:"type"`
			Event string `json:"event"`
		}
		if err := json.Unmarshal(req.Body, &v); err != nil {
			return nil, fmt.Errorf("tpay: %w: %v", getpaid.ErrMalformedCallback, err)
		}
		return &getpaid.Observation{Kind: getpaid.KindNone, BrokerStatus: "ignored " + v.Type + v.Event}, nil
	}
	o, err := n.Observation(b.currencies[0])
	if err != nil {
		return nil, fmt.Errorf("tpay: %w", err)
	}
	o.ExternalID = "" // the payment's ExternalID is the transactionId; tr_id is the title
	return o, nil
}
