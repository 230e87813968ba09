package tpaytest

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tpay (simulator)</title></head>
<body><h1>Tpay (simulator)</h1>
<p>{{.Title}}: {{.Description}}</p><p>Amount: {{.Amount}}</p>
<form method="post"><button name="outcome" value="paid">Pay</button>
<button name="outcome" value="partial">Pay half (underpayment accepted)</button>
<button name="outcome" value="underpaid">Pay half (underpayment held)</button>
<button name="outcome" value="declined">Bank declines</button>
<button name="outcome" value="abandoned">Abandon</button></form></body></html>`))

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.byID[r.PathValue("id")]
	var view transaction
	if ok {
		view = *t
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "unknown transaction", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, view)
}

func (s *Server) choose(w http.ResponseWriter, r *http.Request) {
	back, err := s.pay(r.PathValue("id"), r.PostFormValue("outcome"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if back == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("You left the payment page.\n"))
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// pay applies the buyer's outcome and returns where the buyer goes back to.
func (s *Server) pay(id, outcome string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byID[id]
	if !ok {
		return "", errors.New("unknown transaction")
	}
	switch outcome {
	case OutcomeAbandoned:
		return "", nil
	case OutcomeDeclined:
		if t.ErrorURL != "" {
			return t.ErrorURL, nil
		}
		return t.SuccessURL, nil
	case OutcomePaid, OutcomePartial, OutcomeUnderpaid:
	default:
		return "", fmt.Errorf("unknown outcome %q", outcome)
	}
	if t.Status != tpay.StatusPending {
		return "", fmt.Errorf("transaction is %s", t.Status)
	}
	status, trErr := tpaynotify.StatusTrue, tpaynotify.ErrorNone
	t.Paid, t.Status, t.Realized = t.Amount.Minor, tpay.StatusCorrect, time.Now()
	if outcome != OutcomePaid {
		t.Paid, trErr = max(1, t.Amount.Minor/2), tpaynotify.ErrorSurcharge
	}
	if outcome == OutcomeUnderpaid {
		status, t.Status = tpaynotify.StatusFalse, tpay.StatusError
	}
	s.notifyLocked(t, status, trErr, t.Paid)
	return t.SuccessURL, nil
}

// Pay acts as the buyer sent on by rd (the transactionPaymentUrl): it opens
// the page and chooses outcome. Notifications are sent in the background.
func (s *Server) Pay(ctx context.Context, rd *getpaid.Redirect, outcome string) error {
	if rd == nil || rd.Method != http.MethodGet {
		return fmt.Errorf("tpaytest: Tpay sends buyers with a GET link, got %+v", rd)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rd.URL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("tpaytest: payment page answered %s", resp.Status)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, rd.URL, strings.NewReader(url.Values{"outcome": {outcome}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err = client.Do(req); err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("tpaytest: choosing %q answered %s", outcome, resp.Status)
	}
	return nil
}
