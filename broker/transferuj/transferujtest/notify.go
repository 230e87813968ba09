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
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// body builds a signed notification of t; s.mu is held.
func (s *Server) bodyLocked(t *transaction, merchantID int, code, status, trErr string, paid int64) []byte {
	n := &tpaynotify.Notification{
		ID: strconv.Itoa(merchantID), TrID: t.Title, TrDate: t.Created.Format("2006-01-02 15:04:05"), TrCRC: t.CRC,
		TrAmount: t.Amount.Decimal(), TrPaid: getpaid.Money{Minor: paid, Currency: t.Amount.Currency}.Decimal(),
		TrDesc: t.Description, TrStatus: status, TrError: trErr, TrEmail: t.Email, TestMode: "1",
	}
	n.Sign(code)
	return n.Encode()
}

// notifyLocked sends a notification of t to its result URL; s.mu is held.
func (s *Server) notifyLocked(t *transaction, status, trErr string, paid int64) {
	if t.ResultURL == "" {
		return
	}
	s.sender.Send(t.Title, status, t.ResultURL, s.bodyLocked(t, s.cfg.MerchantID, s.cfg.SecurityCode, status, trErr, paid), nil)
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
// registered with crc, signed for real, without sending it or changing the
// transaction: status (TRUE, FALSE, CHARGEBACK, ...) reporting paid as
// tr_paid. The form names no currency, so a currency other than the
// account's can only come from another account: that notification carries
// another merchant id and security code. Use it for duplicate,
// out-of-order, tampering and wrong-amount tests.
func (s *Server) Notification(crc, status string, paid getpaid.Money) (*getpaid.CallbackRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byCRC[crc]
	if !ok {
		return nil, fmt.Errorf("transferujtest: no transaction with crc %q", crc)
	}
	view := *t
	merchant, code := s.cfg.MerchantID, s.cfg.SecurityCode
	if paid.Currency != s.cfg.Currency {
		merchant, code = merchant+1, code+"-"+paid.Currency
		view.Amount.Currency = paid.Currency
	}
	if status == tpaynotify.StatusTrue || status == tpaynotify.StatusPaid {
		if paid.Minor > view.Amount.Minor {
			view.Amount.Minor = paid.Minor // a notification for another amount
		}
	}
	trErr := tpaynotify.ErrorNone
	if (status == tpaynotify.StatusTrue || status == tpaynotify.StatusFalse) && paid.Minor < view.Amount.Minor && paid.Minor > 0 {
		trErr = tpaynotify.ErrorSurcharge
	}
	body := s.bodyLocked(&view, merchant, code, status, trErr, paid.Minor)
	return &getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		Query: url.Values{}, Body: body, RemoteIP: "195.149.229.109"}, nil
}

// Pay acts as the buyer sent on by rd (the form Prepare built): it takes the
// form to the panel and chooses outcome on the page. Notifications are sent
// in the background. An empty outcome only opens the page: the transaction
// is registered and left pending.
func (s *Server) Pay(ctx context.Context, rd *getpaid.Redirect, outcome string) error {
	if rd == nil || rd.URL == "" {
		return errors.New("transferujtest: no redirect")
	}
	var req *http.Request
	var err error
	if rd.Method == http.MethodPost {
		form := url.Values{}
		for k, v := range rd.Fields {
			form.Set(k, v)
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, rd.URL, strings.NewReader(form.Encode()))
		if req != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, rd.URL, nil)
	}
	if err != nil {
		return err
	}
	return s.Submit(ctx, req, outcome)
}

// Submit sends the buyer's request carrying the form (a GET link or a POST)
// to the panel and chooses outcome on the page it leads to ("" chooses
// nothing).
func (s *Server) Submit(ctx context.Context, req *http.Request, outcome string) error {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
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
	get, err := http.NewRequestWithContext(ctx, http.MethodGet, page.String(), nil)
	if err != nil {
		return err
	}
	if resp, err = client.Do(get); err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("transferujtest: payment page answered %s", resp.Status)
	}
	if outcome == "" {
		return nil
	}
	choice, err := http.NewRequestWithContext(ctx, http.MethodPost, page.String(), strings.NewReader(url.Values{"outcome": {outcome}}.Encode()))
	if err != nil {
		return err
	}
	choice.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err = client.Do(choice); err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("transferujtest: choosing %q answered %s", outcome, resp.Status)
	}
	return nil
}
