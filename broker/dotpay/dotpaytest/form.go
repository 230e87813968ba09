package dotpaytest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/simkit"
	"github.com/getpaid-go/getpaid/internal/ui"
)

// Buyer outcomes accepted by Pay and the payment page.
const (
	OutcomePaid       = "paid"       // the payment is completed: URLC completed
	OutcomeProcessing = "processing" // e.g. a transfer the bank has not booked: URLC processing, ended by Settle
	OutcomeDeclined   = "declined"   // the bank or the buyer rejected it: URLC rejected
	OutcomeAbandoned  = "abandoned"  // the buyer closed the page: nothing happens
)

// Error codes the payment form answers a bad request with (Dotpay's).
const (
	ErrRequiredParameters = "REQUIRED_PARAMETERS_NOT_PRESENT"
	ErrBadDataFormat      = "BAD_DATA_FORMAT"
	ErrHashNotEqualChk    = "HASH_NOT_EQUAL_CHK"
	ErrUnknownCurrency    = "UNKNOWN_CURRENCY"
	ErrInactiveSeller     = "INACTIVE_SELLER"
	ErrAmountTooLow       = "AMOUNT_TOO_LOW"
	ErrAmountTooHigh      = "AMOUNT_TOO_HIGH"
)

// maxAmount is the largest payment the simulated shop takes, in hundredths.
const maxAmount = 100_000_000_00

var errorTmpl = template.Must(template.New("error").Funcs(ui.Funcs()).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">{{style}}<title>Dotpay: the payment form was refused</title></head>
<body class="sim"><header class="top"><strong>Dotpay</strong><span class="sim-tag">simulator</span></header>
<div class="banner bad"><strong>Dotpay refused the payment form</strong><p id="error_code">{{.Code}}</p><p>{{.Detail}}</p></div></body></html>`))

// formError answers a payment form Dotpay refuses.
func formError(w http.ResponseWriter, code, detail string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = errorTmpl.Execute(w, map[string]string{"Code": code, "Detail": detail})
}

// form accepts the buyer's GET link or POSTed form at prefix: it checks the
// parameters and chk like Dotpay, then sends the buyer to the payment page.
func (s *Server) form(prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err := r.ParseForm(); err != nil {
			formError(w, ErrBadDataFormat, err.Error())
			return
		}
		params := map[string]string{}
		for k, v := range r.Form {
			if len(v) != 1 {
				formError(w, ErrBadDataFormat, "parameter "+k+" repeated")
				return
			}
			params[k] = v[0]
		}
		if code, detail := s.check(params); code != "" {
			formError(w, code, detail)
			return
		}
		token := newToken()
		s.mu.Lock()
		s.sessions[token] = &session{params: params}
		s.mu.Unlock()
		http.Redirect(w, r, s.URL()+prefix+"session/"+token, http.StatusSeeOther)
	}
}

// check validates a payment form; it returns Dotpay's error code and a
// detail, or "".
func (s *Server) check(p map[string]string) (code, detail string) {
	for _, k := range []string{"id", "amount", "currency", "description"} {
		if p[k] == "" {
			return ErrRequiredParameters, "missing " + k
		}
	}
	for k, v := range p {
		if !utf8.ValidString(v) {
			return ErrBadDataFormat, k + " is not UTF-8"
		}
	}
	if p["id"] != s.cfg.ShopID {
		return ErrInactiveSeller, "no shop " + p["id"]
	}
	h, err := parseWire(p["amount"])
	switch {
	case errors.Is(err, errTooLarge):
		return ErrAmountTooHigh, "amount " + p["amount"]
	case err != nil:
		return ErrBadDataFormat, "amount " + p["amount"]
	case h <= 0:
		return ErrAmountTooLow, "amount " + p["amount"]
	case h > maxAmount:
		return ErrAmountTooHigh, "amount " + p["amount"]
	}
	if !slices.Contains(s.cfg.Currencies, p["currency"]) {
		return ErrUnknownCurrency, "currency " + p["currency"]
	}
	if _, err := fromHundredths(h, p["currency"]); err != nil {
		return ErrBadDataFormat, err.Error()
	}
	if utf8.RuneCountInString(p["description"]) > 255 || utf8.RuneCountInString(p["control"]) > 1000 {
		return ErrBadDataFormat, "description or control too long"
	}
	for _, k := range []string{"url", "urlc"} {
		if v := p[k]; v != "" {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return ErrBadDataFormat, k + " is not an absolute URL"
			}
		}
	}
	for _, k := range []string{"firstname", "lastname"} {
		if !validName(p[k]) {
			return ErrBadDataFormat, k + " has characters Dotpay refuses"
		}
	}
	if t := p["type"]; t != "" && !slices.Contains([]string{"0", "1", "2", "3", "4"}, t) {
		return ErrBadDataFormat, "type " + t
	}
	var want string
	switch p["api_version"] {
	case "next":
		want = chkNext(s.cfg.PIN, p)
	case "dev", "": // no api_version: the legacy form, as dotpay.Chk has it
		want = chkDev(s.cfg.PIN, p)
	default:
		return ErrBadDataFormat, "api_version " + p["api_version"]
	}
	if subtle.ConstantTimeCompare([]byte(p["chk"]), []byte(want)) != 1 {
		return ErrHashNotEqualChk, "chk does not match the parameters"
	}
	return "", ""
}

// validName accepts what Dotpay's form takes in a name: at most 50 letters,
// ASCII digits, spaces, "-" and "_".
func validName(s string) bool {
	if utf8.RuneCountInString(s) > 50 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !(r >= '0' && r <= '9') && r != ' ' && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// buyer is the payment page.
var buyer = simkit.Buyer{Broker: "Dotpay", Page: template.Must(template.New("page").Funcs(ui.Funcs()).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">{{style}}<title>Dotpay: pay {{.amount}} {{.currency}}</title></head>
<body class="sim"><header class="top"><strong>Dotpay</strong><span class="sim-tag">simulator</span></header>
<div class="card"><p class="muted">{{.description}}</p><p class="amount" id="amount">{{.amount}} {{.currency}}</p><p class="note">Shop {{.id}}</p></div>
<form method="post" class="choices">
<button name="outcome" value="paid" id="pay">Pay<small>Dotpay sends the shop a completed URLC.</small></button>
<button name="outcome" value="processing" id="processing" class="secondary">Pay by transfer, booked later<small>Dotpay sends a processing URLC; the payment completes when the bank books it.</small></button>
<button name="outcome" value="declined" id="decline" class="danger">Reject or cancel<small>Dotpay sends a rejected URLC; the buyer may try again.</small></button>
<button name="outcome" value="abandoned" id="abandon" class="secondary">Abandon<small>The buyer closes the page; nothing happens.</small></button></form></body></html>`)),
	Unknown: "Unknown payment session", UnknownText: "The simulator has no such session: a session serves one payment (and the simulator keeps them in memory)."}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sess, ok := s.sessions[r.PathValue("token")]
	s.mu.Unlock()
	var params map[string]string
	if ok {
		params = sess.params
	}
	buyer.Show(w, params, ok)
}

// choose takes the buyer's choice. Type 0 shows a button back to url; the
// simulator presses it.
func (s *Server) choose(w http.ResponseWriter, r *http.Request) {
	token, outcome := r.PathValue("token"), r.PostFormValue("outcome")
	back := s.returnURL(token) // the session ends with the payment
	_, err := s.pay(token, outcome)
	buyer.Chosen(w, r, back, err, outcome == OutcomeAbandoned, func() string { return back })
}

// returnURL is where a session's buyer goes back to ("" for nowhere).
func (s *Server) returnURL(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.sessions[token]; ok {
		return sess.params["url"]
	}
	return ""
}

// pay applies the buyer's outcome to the session and returns where the
// buyer goes back to ("" for nowhere).
func (s *Server) pay(token, outcome string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[token]
	if !ok {
		return "", errors.New("unknown payment session")
	}
	status := ""
	switch outcome {
	case OutcomeAbandoned:
		return "", nil
	case OutcomePaid:
		status = "completed"
	case OutcomeProcessing:
		status = "processing"
	case OutcomeDeclined:
		status = "rejected"
	default:
		return "", fmt.Errorf("unknown outcome %q", outcome)
	}
	delete(s.sessions, token) // one payment per opened form
	p := sess.params
	h, _ := parseWire(p["amount"])
	m, _ := fromHundredths(h, p["currency"])
	op := &operation{
		Operation:  Operation{Number: s.nextNumberLocked(), Type: "payment", Status: status, Amount: m, Control: p["control"]},
		hundredths: h, description: p["description"], email: p["email"], firstName: p["firstname"],
		lastName: p["lastname"], urlc: p["urlc"], created: time.Now(),
	}
	op.bookedHundredths, op.bookedCurrency = h, m.Currency
	if s.cfg.Exchange != nil {
		op.bookedHundredths, op.bookedCurrency = s.cfg.Exchange(h, m.Currency)
	}
	s.addLocked(op)
	s.deliverLocked(op)
	if status == "processing" && s.cfg.SettleAfter > 0 {
		s.laterLocked(s.cfg.SettleAfter, func() {
			if op.Status == "processing" {
				op.Status = "completed"
				s.deliverLocked(op)
			}
		})
	}
	return p["url"], nil
}

// Settle ends the newest payment of control that is still processing:
// completed when paid, else rejected; its URLC is sent.
func (s *Server) Settle(control string, paid bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	op := s.paymentLocked(control)
	if op == nil || op.Status != "processing" {
		return fmt.Errorf("dotpaytest: no processing payment for %q", control)
	}
	op.Status = "rejected"
	if paid {
		op.Status = "completed"
	}
	s.deliverLocked(op)
	return nil
}

// Pay acts as the buyer sent on by rd (a GET link or an auto-submitted POST
// form, as Prepare returned it): it opens the payment form, follows Dotpay
// to the payment page and chooses outcome. The URLC is sent
// asynchronously. A form Dotpay refuses is an error naming Dotpay's code.
func (s *Server) Pay(ctx context.Context, rd *getpaid.Redirect, outcome string) error {
	if rd == nil || rd.URL == "" {
		return errors.New("dotpaytest: no redirect")
	}
	if rd.Method != http.MethodGet && rd.Method != http.MethodPost {
		return fmt.Errorf("dotpaytest: redirect method %q", rd.Method)
	}
	req, err := simkit.BuyerRequest(ctx, rd)
	if err != nil {
		return err
	}
	client := simkit.BuyerClient()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("dotpaytest: payment form answered %s: %s", resp.Status, errorCode(body))
	}
	page, err := resp.Location()
	if err != nil {
		return err
	}
	if err := simkit.Open(ctx, client, page.String(), "dotpaytest"); err != nil {
		return err
	}
	return simkit.Choose(ctx, client, page.String(), outcome, "dotpaytest")
}

// errorCode extracts the error code from the form's error page.
func errorCode(page []byte) string {
	_, rest, ok := bytes.Cut(page, []byte(`<p id="error_code">`))
	if !ok {
		return strings.TrimSpace(string(page))
	}
	code, _, _ := bytes.Cut(rest, []byte("<"))
	return string(code)
}
