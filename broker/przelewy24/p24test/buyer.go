package p24test

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// Buyer outcomes accepted by Pay and the payment page.
const (
	OutcomePaid      = "paid"      // pays the full amount: notification, then return
	OutcomePartial   = "partial"   // pays half: notification with amount < originAmount
	OutcomeDeclined  = "declined"  // bank declined or buyer cancelled: return, no notification
	OutcomeAbandoned = "abandoned" // buyer closed the page: nothing happens
)

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Przelewy24 simulator</title></head>
<body><h1>Przelewy24 (simulator)</h1>
<p>{{.Description}}</p><p>Amount: {{.Amount}} {{.Currency}} (minor units)</p>
<form method="post"><button name="outcome" value="paid">Pay</button>
<button name="outcome" value="partial">Pay half</button>
<button name="outcome" value="declined">Decline / cancel</button>
<button name="outcome" value="abandoned">Abandon</button></form></body></html>`))

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.byToken[r.PathValue("token")]
	var view transaction
	if ok {
		view = *t
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "unknown transaction token", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, view)
}

func (s *Server) buyerChoice(w http.ResponseWriter, r *http.Request) {
	back, err := s.pay(r.PathValue("token"), r.PostFormValue("outcome"))
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
func (s *Server) pay(token, outcome string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byToken[token]
	if !ok {
		return "", errors.New("unknown transaction token")
	}
	switch outcome {
	case OutcomeAbandoned:
		return "", nil
	case OutcomeDeclined:
		return t.URLReturn, nil // Przelewy24 sends no notification for a failed payment
	case OutcomePaid, OutcomePartial:
	default:
		return "", fmt.Errorf("unknown outcome %q", outcome)
	}
	if t.Status != StatusNoPayment {
		return "", errors.New("transaction already paid")
	}
	t.Paid = t.Amount
	if outcome == OutcomePartial {
		t.Paid = max(1, t.Amount/2)
	}
	t.Status, t.PaidAt = StatusAdvance, s.now()
	if t.URLStatus != "" {
		s.deliverLocked("transaction", t.SessionID, t.URLStatus, s.notificationBody(t, t.Paid, t.Currency), t.verified)
	}
	return t.URLReturn, nil
}

// Pay acts as the buyer sent on by rd (the link Prepare returned): it opens
// the page and chooses outcome ("paid", "partial", "declined",
// "abandoned"). A payment's notification is sent asynchronously.
func (s *Server) Pay(ctx context.Context, rd *getpaid.Redirect, outcome string) error {
	if rd == nil || rd.Method != http.MethodGet {
		return fmt.Errorf("p24test: Przelewy24 sends buyers with a GET link, got %+v", rd)
	}
	u, err := url.Parse(rd.URL)
	if err != nil {
		return err
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("p24test: payment page answered %s", resp.Status)
	}
	form := url.Values{"outcome": {outcome}}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("p24test: choosing %q answered %s", outcome, resp.Status)
	}
	return nil
}

// Notification builds the transaction notification Przelewy24 would send
// for the transaction registered under sessionID, signed for real, with the
// given amount and currency (0 and "" keep the registered ones). It does not
// change the transaction; use it for duplicate, out-of-order, tampering and
// wrong-amount tests.
func (s *Server) Notification(sessionID string, amount int64, currency string) (*getpaid.CallbackRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.bySess[sessionID]
	if !ok {
		return nil, fmt.Errorf("p24test: no transaction registered for session %q", sessionID)
	}
	if amount == 0 {
		amount = t.Paid
		if amount == 0 {
			amount = t.Amount
		}
	}
	if currency == "" {
		currency = t.Currency
	}
	return &getpaid.CallbackRequest{
		Method: http.MethodPost, Header: http.Header{"Content-Type": {"application/json"}},
		Query: url.Values{}, Body: s.notificationBody(t, amount, currency), RemoteIP: s.cfg.SourceIP,
	}, nil
}
