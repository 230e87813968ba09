package p24test

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/simkit"
	"github.com/getpaid-go/getpaid/internal/ui"
)

// Buyer outcomes accepted by Pay and the payment page.
const (
	OutcomePaid      = "paid"      // pays the full amount: notification, then return
	OutcomePartial   = "partial"   // pays half: notification with amount < originAmount
	OutcomeDeclined  = "declined"  // bank declined or buyer cancelled: return, no notification
	OutcomeAbandoned = "abandoned" // buyer closed the page: nothing happens
)

// buyer is the payment page.
var buyer = simkit.Buyer{Broker: "Przelewy24", Page: template.Must(template.New("page").Funcs(ui.Funcs()).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">{{style}}<title>Przelewy24: pay {{.Money}}</title></head>
<body class="sim"><header class="top"><strong>Przelewy24</strong><span class="sim-tag">simulator</span></header>
<div class="card"><p class="muted">{{.Description}}</p><p class="amount" id="amount">{{.Money}}</p></div>
{{if .Open}}<form method="post" class="choices"><button name="outcome" value="paid" id="pay">Pay<small>Przelewy24 notifies the shop, which must verify the transaction before it counts.</small></button>
<button name="outcome" value="partial" id="partial" class="secondary">Pay half<small>Another amount than asked: Przelewy24 keeps it as an advance until the shop accepts or rejects it.</small></button>
<button name="outcome" value="declined" id="decline" class="danger">Decline or cancel<small>The buyer goes back to the shop; Przelewy24 sends nothing.</small></button>
<button name="outcome" value="abandoned" id="abandon" class="secondary">Abandon<small>The buyer closes the page; nothing happens.</small></button></form>
{{else}}<div class="banner info" id="done"><strong>This transaction is no longer awaiting payment</strong><p>{{.Paid}} was paid.</p></div>{{end}}</body></html>`)),
	Unknown: "Unknown transaction", UnknownText: "The token is unknown to the simulator (it keeps transactions in memory: was it restarted?)."}

// pageView is a transaction as the payment page shows it.
type pageView struct {
	Description string
	Money       getpaid.Money
	Open        bool          // still awaiting payment: the outcomes are offered
	Paid        getpaid.Money // what the buyer paid, once not Open
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.byToken[r.PathValue("token")]
	var view pageView
	if ok {
		view = pageView{Description: t.Description, Money: getpaid.Money{Minor: t.Amount, Currency: t.Currency},
			Open: t.Status == StatusNoPayment, Paid: getpaid.Money{Minor: t.Paid, Currency: t.Currency}}
	}
	s.mu.Unlock()
	buyer.Show(w, view, ok)
}

func (s *Server) buyerChoice(w http.ResponseWriter, r *http.Request) {
	token, outcome := r.PathValue("token"), r.PostFormValue("outcome")
	back, err := s.pay(token, outcome)
	buyer.Chosen(w, r, back, err, outcome == OutcomeAbandoned, func() string { return s.returnURL(token) })
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
	client := simkit.BuyerClient()
	if err := simkit.Open(ctx, client, u.String(), "p24test"); err != nil {
		return err
	}
	return simkit.Choose(ctx, client, u.String(), outcome, "p24test")
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
