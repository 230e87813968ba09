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
	"github.com/getpaid-go/getpaid/internal/ui"
)

// Buyer outcomes accepted by Pay and the payment page.
const (
	OutcomePaid      = "paid"      // pays the full amount: notification, then return
	OutcomePartial   = "partial"   // pays half: notification with amount < originAmount
	OutcomeDeclined  = "declined"  // bank declined or buyer cancelled: return, no notification
	OutcomeAbandoned = "abandoned" // buyer closed the page: nothing happens
)

var pageTmpl = template.Must(template.New("page").Funcs(ui.Funcs()).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">{{style}}<title>Przelewy24: pay {{.Money}}</title></head>
<body class="sim"><header class="top"><strong>Przelewy24</strong><span class="sim-tag">simulator</span></header>
<div class="card"><p class="muted">{{.Description}}</p><p class="amount" id="amount">{{.Money}}</p></div>
<form method="post" class="choices"><button name="outcome" value="paid" id="pay">Pay<small>Przelewy24 notifies the shop, which must verify the transaction before it counts.</small></button>
<button name="outcome" value="partial" id="partial" class="secondary">Pay half<small>Another amount than asked: Przelewy24 keeps it as an advance until the shop accepts or rejects it.</small></button>
<button name="outcome" value="declined" id="decline" class="danger">Decline or cancel<small>The buyer goes back to the shop; Przelewy24 sends nothing.</small></button>
<button name="outcome" value="abandoned" id="abandon" class="secondary">Abandon<small>The buyer closes the page; nothing happens.</small></button></form></body></html>`))

// pageView is a transaction as the payment page shows it.
type pageView struct {
	Description string
	Money       getpaid.Money
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.byToken[r.PathValue("token")]
	var view pageView
	if ok {
		view = pageView{Description: t.Description, Money: getpaid.Money{Minor: t.Amount, Currency: t.Currency}}
	}
	s.mu.Unlock()
	if !ok {
		ui.WriteNotice(w, http.StatusNotFound, ui.Notice{Title: "Przelewy24", Tag: "simulator", Tone: "bad", Heading: "Unknown transaction",
			Text: "The token is unknown to the simulator (it keeps transactions in memory: was it restarted?)."})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, view)
}

func (s *Server) buyerChoice(w http.ResponseWriter, r *http.Request) {
	outcome := r.PostFormValue("outcome")
	back, err := s.pay(r.PathValue("token"), outcome)
	if err != nil {
		ui.WriteNotice(w, http.StatusBadRequest, ui.Notice{Title: "Przelewy24", Tag: "simulator", Tone: "warn", Heading: "Not possible", Text: err.Error()})
		return
	}
	if outcome == OutcomeAbandoned {
		ui.WriteNotice(w, http.StatusOK, ui.Notice{Title: "Przelewy24", Tag: "simulator", Tone: "info", Heading: "You left the payment page",
			Text: "A real buyer would have closed the tab: Przelewy24 tells the shop nothing.", Link: s.returnURL(r.PathValue("token"))})
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// returnURL is where a transaction's buyer goes back to.
func (s *Server) returnURL(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.byToken[token]; ok {
		return t.URLReturn
	}
	return ""
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
