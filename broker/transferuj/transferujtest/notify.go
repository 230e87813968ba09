package transferujtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/simkit"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// bodyLocked builds a signed notification of t; s.mu is held.
func (s *Server) bodyLocked(t *transaction, status, trErr string, paid int64) []byte {
	n := &tpaynotify.Notification{
		ID: strconv.Itoa(s.cfg.MerchantID), TrID: t.Title, TrDate: t.Created.Format("2006-01-02 15:04:05"), TrCRC: t.CRC,
		TrAmount: t.Amount.Decimal(), TrPaid: getpaid.Money{Minor: paid, Currency: t.Amount.Currency}.Decimal(),
		TrDesc: t.Description, TrStatus: status, TrError: trErr, TrEmail: t.Email, TestMode: "1",
	}
	n.Sign(s.cfg.SecurityCode)
	return n.Encode()
}

// header signs body like Tpay: X-JWS-Signature with the simulator's
// certificate as x5u (none with Config.NoJWS, as Transferuj sent them).
func (s *Server) header(body []byte) (http.Header, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	if s.cfg.NoJWS {
		return h, nil
	}
	jws, err := tpaynotify.SignJWS(s.cfg.PKI.Key, s.URL()+CertPath, body)
	if err != nil {
		return nil, err
	}
	h.Set(tpaynotify.SignatureHeader, jws)
	return h, nil
}

// notifyLocked sends a notification of t to its result URL; s.mu is held.
func (s *Server) notifyLocked(t *transaction, status, trErr string, paid int64) {
	if t.ResultURL == "" {
		return
	}
	body := s.bodyLocked(t, status, trErr, paid)
	h, err := s.header(body)
	if err != nil {
		return
	}
	s.sender.Send(t.Title, status, t.ResultURL, body, h)
}

// Signed is the request Tpay would send with body: the body as it is, with
// the simulator's JWS over it. For tests of bodies the simulator does not
// make (published vectors) and of tampering: an edited body keeps the JWS
// of the original only if the test copies the header.
func (s *Server) Signed(body []byte) (*getpaid.CallbackRequest, error) {
	h, err := s.header(body)
	if err != nil {
		return nil, err
	}
	return &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Query: url.Values{}, Body: body, RemoteIP: "195.149.229.109"}, nil
}

// Chargeback returns amount of the paid transaction registered with crc to
// the payer, as a merchant does in the panel, and sends the CHARGEBACK
// notification (tr_paid is the amount returned).
func (s *Server) Chargeback(crc string, amount getpaid.Money) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byCRC[crc]
	if !ok {
		return fmt.Errorf("transferujtest: no transaction with crc %q", crc)
	}
	if amount.Currency != t.Amount.Currency || amount.Minor <= 0 || amount.Minor > t.Paid-t.Refunded {
		return fmt.Errorf("transferujtest: cannot return %s of %s paid, %d refunded", amount, t.Amount, t.Refunded)
	}
	t.Refunded += amount.Minor
	s.notifyLocked(t, tpaynotify.StatusChargeback, tpaynotify.ErrorNone, amount.Minor)
	return nil
}

// Notification builds the notification Tpay would send for the transaction
// registered with crc, signed for real (md5sum and JWS), without sending it or changing the
// transaction: status (TRUE, FALSE, CHARGEBACK, ...) reporting paid as
// tr_paid against the transaction's tr_amount, with tr_error surcharge when
// TRUE or FALSE report less and overpay when they report more. Use it for
// duplicate, out-of-order, partial-payment and tampering tests.
//
// The legacy notification names no currency (the account has one, and the
// form names none): paid must be in the account's currency.
func (s *Server) Notification(crc, status string, paid getpaid.Money) (*getpaid.CallbackRequest, error) {
	return s.notification(crc, status, nil, paid)
}

// NotificationOf builds the notification of the transaction registered with
// crc as if it had been registered for amount (tr_amount), with status
// reporting amount paid in full: a valid notification of the same payment
// for another amount, for wrong-amount tests and for swapping its md5sum,
// which covers tr_amount, onto another notification.
func (s *Server) NotificationOf(crc, status string, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
	return s.notification(crc, status, &amount, amount)
}

func (s *Server) notification(crc, status string, amount *getpaid.Money, paid getpaid.Money) (*getpaid.CallbackRequest, error) {
	if paid.Currency != s.cfg.Currency || (amount != nil && amount.Currency != s.cfg.Currency) {
		return nil, fmt.Errorf("transferujtest: the account is in %s and its notifications name no currency: no notification in %s exists", s.cfg.Currency, paid.Currency)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byCRC[crc]
	if !ok {
		return nil, fmt.Errorf("transferujtest: no transaction with crc %q", crc)
	}
	view := *t
	if amount != nil {
		view.Amount = *amount
	}
	trErr := tpaynotify.ErrorNone
	if status == tpaynotify.StatusTrue || status == tpaynotify.StatusFalse {
		switch {
		case paid.Minor > 0 && paid.Minor < view.Amount.Minor:
			trErr = tpaynotify.ErrorSurcharge
		case paid.Minor > view.Amount.Minor:
			trErr = tpaynotify.ErrorOverpay
		}
	}
	return s.Signed(s.bodyLocked(&view, status, trErr, paid.Minor))
}

// Pay acts as the buyer sent on by rd (the form Prepare built): it takes the
// form to the panel and chooses outcome on the page. Notifications are sent
// in the background. An empty outcome only opens the page: the transaction
// is registered and left pending.
func (s *Server) Pay(ctx context.Context, rd *getpaid.Redirect, outcome string) error {
	if rd == nil || rd.URL == "" {
		return errors.New("transferujtest: no redirect")
	}
	req, err := simkit.BuyerRequest(ctx, rd)
	if err != nil {
		return err
	}
	return s.Submit(ctx, req, outcome)
}

// Submit sends the buyer's request carrying the form (a GET link or a POST)
// to the panel and chooses outcome on the page it leads to ("" chooses
// nothing).
func (s *Server) Submit(ctx context.Context, req *http.Request, outcome string) error {
	client := simkit.BuyerClient()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("transferujtest: the form was refused: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	page, err := req.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		return err
	}
	if err := simkit.Open(ctx, client, page.String(), "transferujtest"); err != nil || outcome == "" {
		return err
	}
	return simkit.Choose(ctx, client, page.String(), outcome, "transferujtest")
}
