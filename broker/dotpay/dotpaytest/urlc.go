package dotpaytest

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/simkit"
)

// fieldsLocked renders op's URLC fields, signature included, the way Dotpay
// POSTs them.
func (s *Server) fieldsLocked(op *operation) map[string]string {
	commission := int64(0)
	if op.Type == "payment" {
		commission = (op.bookedHundredths*19 + 500) / 1000 // a 1.9% fee
	}
	completed := "false"
	if op.Status == "completed" {
		completed = "true"
	}
	f := map[string]string{
		"id":                          s.cfg.ShopID,
		"operation_number":            op.Number,
		"operation_type":              op.Type,
		"operation_status":            op.Status,
		"operation_amount":            wire(op.bookedHundredths),
		"operation_currency":          op.bookedCurrency,
		"operation_withdrawal_amount": wire(op.bookedHundredths - commission),
		"operation_commission_amount": wire(commission),
		"is_completed":                completed,
		"operation_original_amount":   wire(op.hundredths),
		"operation_original_currency": op.Amount.Currency,
		"operation_datetime":          op.created.Format("2006-01-02 15:04:05"),
		"operation_related_number":    op.Related,
		"control":                     op.Control,
		"description":                 op.description,
		"email":                       op.email,
		"p_info":                      s.cfg.ShopName,
		"p_email":                     s.cfg.ShopEmail,
		"channel":                     "73",
		"channel_country":             "PL",
		"geoip_country":               "PL",
	}
	if s.cfg.Cards {
		f["channel"] = "248"
		f["credit_card_issuer_identification_number"] = "411111"
		f["credit_card_masked_number"] = "XXXX XXXX XXXX 1111"
		f["credit_card_expiration_year"] = "2030"
		f["credit_card_expiration_month"] = "12"
		f["credit_card_brand_codename"] = "visa"
		f["credit_card_brand_code"] = "Visa"
		f["credit_card_unique_identifier"] = "e3b0c44298fc1c149afbf4c8996fb924"
		f["credit_card_id"] = "c1d2e3f4"
	}
	for k, v := range f {
		if v == "" {
			delete(f, k) // Dotpay leaves out what it does not have
		}
	}
	f["signature"] = urlcSignature(s.cfg.PIN, f)
	return f
}

// encode renders fields as a form body.
func encode(f map[string]string) []byte {
	v := url.Values{}
	for k, val := range f {
		v.Set(k, val)
	}
	return []byte(v.Encode())
}

// request is the CallbackRequest the merchant's handler would see for body.
func (s *Server) request(body []byte) *getpaid.CallbackRequest {
	return &getpaid.CallbackRequest{
		Method: http.MethodPost, Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		Query: url.Values{}, Body: body, RemoteIP: s.cfg.SourceIP,
	}
}

// deliverLocked POSTs op's URLC to its urlc in the background until the
// answer is HTTP 200 with the body "OK" exactly, pausing RetryDelay,
// doubling, between attempts, at most MaxAttempts times.
func (s *Server) deliverLocked(op *operation) {
	if op.urlc == "" {
		return
	}
	d := Delivery{Number: op.Number, Type: op.Type, Status: op.Status, URL: op.urlc}
	s.notify.Send(simkit.Message{URL: op.urlc, Body: encode(s.fieldsLocked(op)),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		Acked:  func(a simkit.Attempt) bool { return a.Code == http.StatusOK && a.Answer == "OK" },
	}, func(a simkit.Attempt) Delivery {
		d.Attempt, d.Code, d.Body, d.Err, d.At = a.N, a.Code, a.Answer, a.Err, a.At
		return d
	})
}

// Notification builds the URLC Dotpay would send about the payment of
// control with the given status ("completed", "rejected", ...) and original
// amount, signed for real. It is about the newest payment operation of
// control (a fresh operation number when the buyer never paid) and changes
// nothing; use it for duplicate, out-of-order, tampering and wrong-amount
// tests.
func (s *Server) Notification(control, status string, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
	h, err := toHundredths(amount)
	if err != nil {
		return nil, fmt.Errorf("dotpaytest: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	op := operation{Operation: Operation{Type: "payment", Control: control}, created: time.Now()}
	if known := s.paymentLocked(control); known != nil {
		op = *known
	} else {
		op.Number = s.nextNumberLocked()
		op.description = "Payment " + control
	}
	op.Status, op.Amount, op.hundredths = status, amount, h
	op.bookedHundredths, op.bookedCurrency = h, amount.Currency
	return s.request(encode(s.fieldsLocked(&op))), nil
}

// refundLocked records a refund of h hundredths of the payment pay, counted
// against what is left to refund from now on, and returns it. It ends
// completed (or rejected after SetRefundRejected) at once, unless settle is
// false: it is then new, ended by settleRefundLocked.
func (s *Server) refundLocked(pay *operation, h int64, control, description string, settle bool) *operation {
	m, _ := fromHundredths(h, pay.Amount.Currency)
	rf := &operation{
		Operation: Operation{Number: s.nextNumberLocked(), Type: "refund", Status: "new", Amount: m,
			Control: control, Related: pay.Number},
		hundredths: h, bookedHundredths: h, bookedCurrency: pay.Amount.Currency, description: description,
		email: pay.email, urlc: pay.urlc, created: time.Now(),
	}
	if pay.bookedCurrency != pay.Amount.Currency && pay.hundredths > 0 {
		rf.bookedHundredths, rf.bookedCurrency = h*pay.bookedHundredths/pay.hundredths, pay.bookedCurrency
	}
	pay.refunded += h
	s.addLocked(rf)
	if settle {
		s.settleRefundLocked(rf)
	}
	return rf
}

// settleRefundLocked ends the new refund rf: completed, or rejected after
// SetRefundRejected (its amount is then refundable again). It sends
// nothing.
func (s *Server) settleRefundLocked(rf *operation) {
	if rf.Status != "new" {
		return
	}
	rf.Status = "completed"
	if s.rejRef {
		rf.Status = "rejected"
		if pay := s.byNumber[rf.Related]; pay != nil {
			pay.refunded -= rf.hundredths
		}
	}
}

// completedLocked is control's completed payment with at least h hundredths
// left to refund.
func (s *Server) completedLocked(control string, h int64) (*operation, error) {
	pay := s.paymentLocked(control)
	switch {
	case pay == nil || pay.Status != "completed":
		return nil, fmt.Errorf("dotpaytest: no completed payment for %q", control)
	case h <= 0 || h > pay.hundredths-pay.refunded:
		return nil, fmt.Errorf("dotpaytest: refund of %s exceeds the %s left", wire(h), wire(pay.hundredths-pay.refunded))
	}
	return pay, nil
}

// Refund refunds amount of control's completed payment, as a merchant does
// in Dotpay's panel: the refund operation (control = the payment's control,
// operation_related_number the payment's number) ends at once, and its URLC
// is sent to the payment's urlc. It returns that URLC, signed as sent, so a
// test can deliver it again.
func (s *Server) Refund(control string, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
	h, err := toHundredths(amount)
	if err != nil {
		return nil, fmt.Errorf("dotpaytest: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pay, err := s.completedLocked(control, h)
	if err != nil {
		return nil, err
	}
	rf := s.refundLocked(pay, h, control, "Refund", true)
	s.deliverLocked(rf)
	return s.request(encode(s.fieldsLocked(rf))), nil
}

// RefundNotification records a refund of amount of control's completed
// payment, as Refund does, and returns its signed URLC instead of sending
// it, for tests that deliver it themselves (and again).
func (s *Server) RefundNotification(control string, amount getpaid.Money) (*getpaid.CallbackRequest, error) {
	h, err := toHundredths(amount)
	if err != nil {
		return nil, fmt.Errorf("dotpaytest: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pay, err := s.completedLocked(control, h)
	if err != nil {
		return nil, err
	}
	return s.request(encode(s.fieldsLocked(s.refundLocked(pay, h, control, "Refund", true)))), nil
}

// Complaint opens a complaint (operation_type "complaint": the buyer
// disputed the payment, a card chargeback, say) over amount of control's
// completed payment: a new operation (control = the payment's control,
// operation_related_number = the payment's number) whose URLC is sent to
// the payment's urlc. It returns the complaint's number; SetComplaintStatus
// moves it on.
func (s *Server) Complaint(control string, amount getpaid.Money) (string, error) {
	h, err := toHundredths(amount)
	if err != nil {
		return "", fmt.Errorf("dotpaytest: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pay, err := s.completedLocked(control, h)
	if err != nil {
		return "", err
	}
	c := &operation{
		Operation: Operation{Number: s.nextNumberLocked(), Type: "complaint", Status: "new", Amount: amount,
			Control: control, Related: pay.Number},
		hundredths: h, bookedHundredths: h, bookedCurrency: pay.Amount.Currency, description: "Complaint",
		email: pay.email, urlc: pay.urlc, created: time.Now(),
	}
	if pay.bookedCurrency != pay.Amount.Currency && pay.hundredths > 0 {
		c.bookedHundredths, c.bookedCurrency = h*pay.bookedHundredths/pay.hundredths, pay.bookedCurrency
	}
	s.addLocked(c)
	s.deliverLocked(c)
	return c.Number, nil
}

// SetComplaintStatus moves the complaint number to status ("processing",
// "completed": the money went back to the buyer, "rejected": the shop keeps
// it), sends its URLC and returns it, signed as sent, so a test can deliver
// it again. A completed complaint counts against what is left to refund of
// its payment.
func (s *Server) SetComplaintStatus(number, status string) (*getpaid.CallbackRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.byNumber[number]
	if c == nil || c.Type != "complaint" {
		return nil, fmt.Errorf("dotpaytest: no complaint %q", number)
	}
	if c.Status == "completed" || c.Status == "rejected" {
		return nil, fmt.Errorf("dotpaytest: complaint %s already %s", number, c.Status)
	}
	if status == "completed" {
		if pay := s.byNumber[c.Related]; pay != nil {
			pay.refunded += c.hundredths
		}
	}
	c.Status = status
	s.deliverLocked(c)
	return s.request(encode(s.fieldsLocked(c))), nil
}
