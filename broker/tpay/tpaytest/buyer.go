package tpaytest

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/internal/simkit"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
	"github.com/getpaid-go/getpaid/internal/ui"
)

// buyer is the payment page.
var buyer = simkit.Buyer{Broker: "Tpay", Page: template.Must(template.New("page").Funcs(ui.Funcs()).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">{{style}}<title>Tpay: pay {{.Amount}}</title></head>
<body class="sim"><header class="top"><strong>Tpay</strong><span class="sim-tag">simulator</span></header>
<div class="card"><p class="muted">{{.Description}}</p><p class="amount" id="amount">{{.Amount}}</p><p class="note">Transaction {{.Title}}</p></div>
{{if .Open}}<form method="post" class="choices"><button name="outcome" value="paid" id="pay">Pay<small>Tpay notifies the shop (TRUE) with a signed notification.</small></button>
<button name="outcome" value="partial" id="partial" class="secondary">Pay half, accepted<small>An underpayment Tpay accepts: the order is partially paid.</small></button>
<button name="outcome" value="underpaid" id="underpaid" class="secondary">Pay half, held<small>An underpayment Tpay holds (FALSE): the shop decides.</small></button>
<button name="outcome" value="declined" id="decline" class="danger">Bank declines<small>The buyer goes back to the shop; Tpay sends nothing and keeps the transaction open.</small></button>
<button name="outcome" value="abandoned" id="abandon" class="secondary">Abandon<small>The buyer closes the page; nothing happens.</small></button></form>
{{else}}<div class="banner info" id="done"><strong>This transaction is no longer awaiting payment</strong><p>Tpay status: {{.Status}}.</p></div>{{end}}</body></html>`)),
	Unknown: "Unknown transaction", UnknownText: "The simulator has no such transaction (it keeps them in memory: was it restarted?)."}

// Open reports whether the transaction still awaits the buyer's payment:
// the page offers its outcomes only then.
func (t transaction) Open() bool { return t.Status == tpay.StatusPending }

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.byID[r.PathValue("id")]
	var view transaction
	if ok {
		view = *t
	}
	s.mu.Unlock()
	buyer.Show(w, view, ok)
}

func (s *Server) choose(w http.ResponseWriter, r *http.Request) {
	id, outcome := r.PathValue("id"), r.PostFormValue("outcome")
	back, err := s.pay(id, outcome)
	buyer.Chosen(w, r, back, err, outcome == OutcomeAbandoned, func() string { return s.returnURL(id) })
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
		return "", fmt.Errorf("this transaction is no longer awaiting payment (Tpay status: %s)", t.Status)
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
	client := simkit.BuyerClient()
	if err := simkit.Open(ctx, client, rd.URL, "tpaytest"); err != nil {
		return err
	}
	return simkit.Choose(ctx, client, rd.URL, outcome, "tpaytest")
}
