package transferuj

import (
	"context"
	"fmt"
	"strconv"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// verify parses a notification and checks its md5sum and merchant id.
func (b *Broker) verify(req *getpaid.CallbackRequest) (*tpaynotify.Notification, error) {
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
	return n, nil
}

// VerifyCallback implements getpaid.CallbackVerifier: the md5sum over id,
// tr_id, tr_amount, tr_crc and the security code, and the merchant id.
func (b *Broker) VerifyCallback(_ context.Context, req *getpaid.CallbackRequest) error {
	_, err := b.verify(req)
	return err
}

// ParseCallback verifies a notification (md5sum, merchant id) and maps it:
// TRUE paid (partially when tr_paid is below tr_amount), FALSE failed (or,
// with money held for an over- or underpayment, an advance), CHARGEBACK
// refunded. A wrong md5sum or another merchant's notification wraps
// getpaid.ErrSignatureInvalid; a body that cannot be read
// getpaid.ErrMalformedCallback.
func (b *Broker) ParseCallback(_ context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	n, err := b.verify(req)
	if err != nil {
		return nil, err
	}
	o, err := n.Observation(b.cfg.Currencies[0])
	if err != nil {
		return nil, fmt.Errorf("transferuj: %w", err)
	}
	return o, nil
}
