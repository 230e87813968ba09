package payutest

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/ui"
)

var pageTmpl = template.Must(template.New("pay").Funcs(ui.Funcs()).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">{{style}}<title>PayU: pay {{.Amount}} {{.Currency}}</title></head>
<body class="sim"><header class="top"><strong>PayU</strong><span class="sim-tag">simulator</span></header>
<div class="card"><p class="muted">{{.Description}}</p><p class="amount" id="amount">{{.Amount}} {{.Currency}}</p>
<p class="note">PayU order <span class="id">{{.OrderID}}</span> · {{.StatusLabel}}</p></div>
{{if eq .Status "NEW"}}<form method="post" action="{{.Action}}" class="choices">
<input type="hidden" name="orderId" value="{{.OrderID}}"><input type="hidden" name="token" value="{{.Token}}">
<button name="outcome" value="paid" id="pay">Pay<small>PayU notifies PENDING, then COMPLETED (or WAITING_FOR_CONFIRMATION when the shop asked for a pre-authorisation).</small></button>
<button name="outcome" value="pre_auth" id="preauth" class="secondary">Authorise only<small>The card is authorised and the funds held (WAITING_FOR_CONFIRMATION): the shop captures or releases them.</small></button>
<button name="outcome" value="declined" id="decline" class="danger">Decline<small>PayU notifies CANCELED and sends the buyer back with error=501.</small></button>
<button name="outcome" value="abandoned" id="abandon" class="secondary">Back to the shop without paying<small>PayU notifies nothing; the order waits until its time to pay runs out.</small></button>
</form>{{else}}<div class="banner info"><strong>This order is no longer awaiting payment.</strong></div>{{end}}
</body></html>`))

// statusLabels are PayU's order statuses in words.
var statusLabels = map[string]string{
	"NEW": "awaiting payment", "PENDING": "payment in progress", "WAITING_FOR_CONFIRMATION": "funds held (waiting for the shop)",
	"COMPLETED": "completed", "CANCELED": "cancelled",
}

// findForBuyer returns the order a payment-page request names, checking its token.
func (s *Server) findForBuyer(orderID, token string) (*order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok || token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(o.token)) != 1 {
		return nil, errors.New("payutest: unknown order or bad token")
	}
	return o, nil
}

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o, err := s.findForBuyer(q.Get("orderId"), q.Get("token"))
	if err != nil {
		ui.WriteNotice(w, http.StatusNotFound, ui.Notice{Title: "PayU", Tag: "simulator", Tone: "bad", Heading: "Unknown order",
			Text: "The simulator has no order with this id and token (it keeps orders in memory: was it restarted?)."})
		return
	}
	s.mu.Lock()
	data := map[string]string{"OrderID": o.OrderID, "Token": o.token, "Status": o.Status, "StatusLabel": statusLabels[o.Status],
		"Description": o.Description, "Currency": o.CurrencyCode, "Amount": major(o.TotalAmount), "Action": s.host.URL() + "/pay/"}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, data)
}

// major renders PayU's hundredths as a decimal for display only.
func major(amount string) string {
	n, err := strconv.ParseInt(amount, 10, 64)
	if err != nil {
		return amount
	}
	return fmt.Sprintf("%d.%02d", n/100, n%100)
}

func (s *Server) handlePageChoice(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	o, err := s.findForBuyer(r.PostForm.Get("orderId"), r.PostForm.Get("token"))
	if err != nil {
		http.Error(w, "Unknown order", http.StatusNotFound)
		return
	}
	outcome := r.PostForm.Get("outcome")
	s.mu.Lock()
	target := o.continueURL
	s.mu.Unlock()
	if err := s.apply(o, outcome); err != nil {
		ui.WriteNotice(w, http.StatusConflict, ui.Notice{Title: "PayU", Tag: "simulator", Tone: "warn",
			Heading: "This order is no longer awaiting payment", Text: err.Error(), Link: target})
		return
	}
	if target == "" {
		ui.WriteNotice(w, http.StatusOK, ui.Notice{Title: "PayU", Tag: "simulator", Tone: "ok", Heading: "Thank you",
			Text: "The shop gave PayU no continueUrl: you may close this page."})
		return
	}
	if outcome == OutcomeDeclined {
		target = withQuery(target, "error", "501") // PayU marks failed payments on continueUrl this way
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func withQuery(target, k, v string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// Pay acts as the buyer sent to the payment page by rd (the redirectUri
// Prepare returned) choosing outcome: "paid", "pre_auth", "declined",
// "abandoned" or "pending" (stays PENDING until Settle). Notifications follow asynchronously: PENDING (unless
// SkipPending) then COMPLETED, WAITING_FOR_CONFIRMATION or CANCELED;
// "abandoned" sends nothing until Expire.
func (s *Server) Pay(ctx context.Context, rd *getpaid.Redirect, outcome string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if rd == nil || rd.Method != http.MethodGet {
		return fmt.Errorf("payutest: PayU sends buyers with a GET link, got %+v", rd)
	}
	u, err := url.Parse(rd.URL)
	if err != nil {
		return fmt.Errorf("payutest: redirect URL: %w", err)
	}
	o, err := s.findForBuyer(u.Query().Get("orderId"), u.Query().Get("token"))
	if err != nil {
		return err
	}
	return s.apply(o, outcome)
}

// apply carries out the buyer's choice.
func (s *Server) apply(o *order, outcome string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.Status != "NEW" {
		return fmt.Errorf("payutest: order %s is %s, not awaiting payment", o.OrderID, o.Status)
	}
	var final string
	switch outcome {
	case OutcomePaid:
		final = "COMPLETED"
		if o.preAuth || s.cfg.PreAuth {
			final = "WAITING_FOR_CONFIRMATION"
		}
	case OutcomePreAuth:
		final = "WAITING_FOR_CONFIRMATION"
	case OutcomeDeclined:
		final = "CANCELED"
	case OutcomeAbandoned:
		return nil
	case OutcomePending:
		s.transition(o, "PENDING")
		return nil
	default:
		return fmt.Errorf("payutest: unknown outcome %q", outcome)
	}
	if !s.cfg.SkipPending {
		s.transition(o, "PENDING")
	}
	s.transition(o, final)
	return nil
}

// Settle moves an order to status (PENDING, WAITING_FOR_CONFIRMATION,
// COMPLETED or CANCELED) as PayU would after a delayed settlement, and sends
// the notification. A change PayU would not make is an error.
func (s *Server) Settle(orderID, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return fmt.Errorf("payutest: no order %q", orderID)
	}
	if !s.transition(o, status) {
		return fmt.Errorf("payutest: order %s cannot go from %s to %s", orderID, o.Status, status)
	}
	return nil
}

// Expire ends an order that was not paid in time (or a hold that was neither
// captured nor released): NEW, PENDING or WAITING_FOR_CONFIRMATION become
// CANCELED and the notification is sent. Other orders are left alone.
func (s *Server) Expire(orderID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.orders[orderID]; ok {
		s.transition(o, "CANCELED")
	}
}
