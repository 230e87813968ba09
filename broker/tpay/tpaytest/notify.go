package tpaytest

import (
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// bodyLocked builds t's notification with status reporting paid, signed with
// the md5sum; s.mu is held. An account in a currency other than PLN names it
// in tr_currency.
func (s *Server) bodyLocked(t *transaction, status, trErr string, paid getpaid.Money) []byte {
	n := &tpaynotify.Notification{
		ID: strconv.Itoa(s.cfg.MerchantID), TrID: t.Title, TrDate: t.Created.Format("2006-01-02 15:04:05"), TrCRC: t.CRC,
		TrAmount: getpaid.Money{Minor: t.Amount.Minor, Currency: paid.Currency}.Decimal(), TrPaid: paid.Decimal(),
		TrDesc: t.Description, TrStatus: status, TrError: trErr, TrEmail: t.Email, TestMode: "1",
	}
	if paid.Currency != "PLN" {
		n.TrCurrency = paid.Currency
	}
	n.Sign(s.cfg.SecurityCode)
	return n.Encode()
}

// headerLocked signs body like Tpay: X-JWS-Signature with the simulator's
// certificate as x5u; s.mu is held.
func (s *Server) headerLocked(body []byte) (http.Header, error) {
	jws, err := SignJWS(s.key, s.host.URL()+CertPath, body)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set(tpay.SignatureHeader, jws)
	return h, nil
}

// notifyLocked sends t's notification to its notification URL; s.mu is held.
func (s *Server) notifyLocked(t *transaction, status, trErr string, paid int64) {
	if t.NotifyURL == "" {
		return
	}
	body := s.bodyLocked(t, status, trErr, getpaid.Money{Minor: paid, Currency: t.Amount.Currency})
	h, err := s.headerLocked(body)
	if err != nil {
		return
	}
	s.sender.Send(t.Title, status, t.NotifyURL, body, h)
}

// Notification builds the notification Tpay would send for the transaction
// registered with hiddenDescription crc, signed for real (md5sum and JWS),
// without sending it or changing the transaction: status (TRUE, PAID, FALSE,
// CHARGEBACK) reporting paid as tr_paid. Paying more than the transaction's
// amount makes it a notification of a transaction of that amount; another
// currency is named in tr_currency. Use it for duplicate, out-of-order,
// tampering and wrong-amount tests.
func (s *Server) Notification(crc, status string, paid getpaid.Money) (*getpaid.CallbackRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byCRC[crc]
	if !ok {
		return nil, fmt.Errorf("tpaytest: no transaction with hiddenDescription %q", crc)
	}
	view := *t
	trErr := tpaynotify.ErrorNone
	switch status {
	case tpaynotify.StatusTrue, tpaynotify.StatusPaid, tpaynotify.StatusFalse:
		if paid.Minor > view.Amount.Minor {
			view.Amount.Minor = paid.Minor
		} else if paid.Minor > 0 && paid.Minor < view.Amount.Minor {
			trErr = tpaynotify.ErrorSurcharge
		}
	}
	body := s.bodyLocked(&view, status, trErr, paid)
	h, err := s.headerLocked(body)
	if err != nil {
		return nil, err
	}
	return &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Query: url.Values{}, Body: body, RemoteIP: "127.0.0.1"}, nil
}

// SignWith re-signs a notification body with another key and x5u (an
// attacker's, or a certificate not issued by the root): for tampering tests.
func (s *Server) SignWith(req *getpaid.CallbackRequest, key *rsa.PrivateKey, x5u string) (*getpaid.CallbackRequest, error) {
	jws, err := SignJWS(key, x5u, req.Body)
	if err != nil {
		return nil, err
	}
	c := *req
	c.Header = req.Header.Clone()
	c.Header.Set(tpay.SignatureHeader, jws)
	return &c, nil
}

// Chargeback refunds amount of the transaction registered with crc as a
// merchant does in Tpay's panel, and sends the CHARGEBACK notification.
func (s *Server) Chargeback(crc string, amount getpaid.Money) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byCRC[crc]
	if !ok {
		return fmt.Errorf("tpaytest: no transaction with hiddenDescription %q", crc)
	}
	if amount.Currency != t.Amount.Currency || amount.Minor < 1 || amount.Minor > t.Paid-t.refunded() {
		return fmt.Errorf("tpaytest: cannot refund %s of %s paid", amount, getpaid.Money{Minor: t.Paid, Currency: t.Amount.Currency})
	}
	t.Refunds = append(t.Refunds, &refundRec{ID: "rf_" + randomHex(8), Amount: amount.Minor, Status: "correct", Date: time.Now()})
	s.notifyLocked(t, tpaynotify.StatusChargeback, tpaynotify.ErrorNone, amount.Minor)
	return nil
}
