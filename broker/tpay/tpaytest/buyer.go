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
	"github.com/getpaid-go/getpaid/internal/ui"
)

var pageTmpl = template.Must(template.New("page").Funcs(ui.Funcs()).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">{{style}}<title>Tpay: pay {{.Amount}}</title></head>
<body class="sim"><header class="top"><strong>Tpay</strong><span class="sim-tag">simulator</span></header>
<div class="card"><p class="muted">{{.Description}}</p><p class="amount" id="amount">{{.Amount}}</p><p class="note">Transaction {{.Title}}</p></div>
<form method="post" class="choices"><button name="outcome" value="paid" id="pay">Pay<small>Tpay notifies the shop (TRUE) with a signed notification.</small></button>
<button name="outcome" value="partial" id="partial" class="secondary">Pay half, accepted<small>An underpayment Tpay accepts: the order is partially paid.</small></button>
<button name="outcome" value="underpaid" id="underpaid" class="secondary">Pay half, held<small>An underpayment Tpay holds (FALSE): the shop decides.</small></button>
<button name="outcome" value="declined" id="decline" class="danger">Bank declines<small>The buyer goes back to the shop; Tpay sends nothing and keeps the transaction open.</small></button>
<button name="outcome" value="abandoned" id="abandon" class="secondary">Abandon<small>The buyer closes the page; nothing happens.</small></button></form></body></html>`))

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.byID[r.PathValue("id")]
	var view transaction
	if ok {
		view = *t
	}
	s.mu.Unlock()
	if !ok {
		ui.WriteNotice(w, http.StatusNotFound, ui.Notice{Title: "Tpay", Tag: "simulator", Tone: "bad", Heading: "Unknown transaction",
			Text: "The simulator has no such transaction (it keeps them in memory: was it restarted?)."})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, view)
}

func (s *Server) choose(w http.ResponseWriter, r *http.Request) {
	outcome := r.PostFormValue("outcome")
	back, err := s.pay(r.PathValue("id"), outcome)
	if err != nil {
		ui.WriteNotice(w, http.StatusBadRequest, ui.Notice{Title: "Tpay", Tag: "simulator", Tone: "warn", Heading: "Not possible", Text: err.Error()})
		return
	}
	if outcome == OutcomeAbandoned {
		ui.WriteNotice(w, http.StatusOK, ui.Notice{Title: "Tpay", Tag: "simulator", Tone: "info", Heading: "You left the payment page",
			Text: "A real buyer would have closed the tab: Tpay tells the shop nothing.", Link: s.returnURL(r.PathValue("id"))})
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// returnURL is where a transaction's buyer goes back to.
func (s *Server) returnURL(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.byID[id]; ok {
		return t.SuccessURL
	}
	return ""
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
