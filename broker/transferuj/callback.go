package transferuj

import (
	"context"
	"fmt"
	"strconv"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// verify parses a notification and checks its md5sum and merchant id, then
// the JWS over the whole body when it carries one or require_jws is set: the
// md5sum covers neither tr_status nor tr_paid, and only the JWS keeps a
// genuine notification from being edited there (a FALSE underpayment made
// TRUE and paid in full). Without require_jws a notification without a JWS
// passes on its md5sum, as the legacy Transferuj notification was signed.
func (b *Broker) verify(ctx context.Context, req *getpaid.CallbackRequest) (*tpaynotify.Notification, error) {
	n, err := tpaynotify.ParseNotification(req.Body)
	if err != nil {
		return nil, fmt.Errorf("transferuj: %w", err)
	}
	if err := n.CheckMD5(b.cfg.SecurityCode); err != nil {
		return nil, fmt.Errorf("transferuj: %w", err)
	}
	if n.ID != strconv.Itoa(b.cfg.MerchantID) {
		return nil, fmt.Errorf("transferuj: %w: notification for merchant %q", getpaid.ErrSignatureInvalid, n.ID)
	}
	jws := req.Header.Get(tpaynotify.SignatureHeader)
	if jws == "" && !b.cfg.RequireJWS {
		return n, nil
	}
	if err := b.jws.Verify(ctx, jws, req.Body); err != nil {
		return nil, fmt.Errorf("transferuj: %w", err)
	}
	return n, nil
}

// VerifyCallback implements getpaid.CallbackVerifier: the md5sum over id,
// tr_id, tr_amount, tr_crc and the security code, the merchant id, and the
// detached JWS in X-JWS-Signature over the raw body (RS256, x5u under
// jws_prefix, a certificate signed by Tpay's root fetched from under it:
// tpaynotify.JWSVerifier) when the notification carries one or require_jws
// is set. Fetching the certificates is network I/O; they are cached.
func (b *Broker) VerifyCallback(ctx context.Context, req *getpaid.CallbackRequest) error {
	_, err := b.verify(ctx, req)
	return err
}

// ParseCallback verifies a notification (md5sum, merchant id, JWS as
// VerifyCallback says) and maps it:
// TRUE paid (partially when tr_paid is below tr_amount), FALSE failed (or,
// with money held for an over- or underpayment, an advance), CHARGEBACK
// refunded. A wrong md5sum or JWS, or another merchant's notification, wraps
// getpaid.ErrSignatureInvalid; a body that cannot be read
// getpaid.ErrMalformedCallback; certificates that cannot be fetched give a
// retryable *getpaid.BrokerError.
func (b *Broker) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	n, err := b.verify(ctx, req)
	if err != nil {
		return nil, err
	}
	o, err := n.Observation(b.cfg.Currencies[0])
	if err != nil {
		return nil, fmt.Errorf("transferuj: %w", err)
	}
	return o, nil
}
