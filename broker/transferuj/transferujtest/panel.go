package transferujtest

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid/broker/transferuj"
	"github.com/getpaid-go/getpaid/internal/edge"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// Handler serves the payment panel: the form endpoint at "/" (GET or POST)
// and the buyer's page at /pay/{title}.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	forms := edge.NewLimiter(edge.LimiterConfig{})
	form := edge.FormPage(forms, edge.DefaultFormBytes, http.HandlerFunc(s.form))
	mux.Handle("GET /{$}", form)
	mux.Handle("POST /{$}", form)
	mux.Handle("GET /pay/{title}", edge.Page(http.HandlerFunc(s.page)))
	mux.Handle("POST /pay/{title}", edge.FormPage(forms, edge.DefaultFormBytes, http.HandlerFunc(s.choose)))
	return mux
}

// failing applies the failure mode; true when the request was answered.
func (s *Server) failing(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	mode := s.failure
	s.mu.Unlock()
	switch mode {
	case "5xx":
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return true
	case "timeout":
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
		return true
	}
	return false
}

// pick returns the first non-empty value among the names (current, then old).
func pick(f url.Values, names ...string) string {
	for _, n := range names {
		if v := f.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// form takes the signed payment form, checks it like Tpay and registers a
// transaction; the buyer is sent on to its page.
func (s *Server) form(w http.ResponseWriter, r *http.Request) {
	if s.failing(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	t, err := s.register(r.Form)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, "/pay/"+url.PathEscape(t.Title), http.StatusSeeOther)
}

func (s *Server) register(f url.Values) (*transaction, error) {
	id, amount, crc, sum := f.Get("id"), pick(f, "amount", "kwota"), f.Get("crc"), f.Get("md5sum")
	if id != strconv.Itoa(s.cfg.MerchantID) {
		return nil, fmt.Errorf("unknown merchant id %q", id)
	}
	m, err := tpaynotify.ParseAmount(amount, s.cfg.Currency)
	if err != nil || m.Minor <= 0 {
		return nil, fmt.Errorf("invalid amount %q", amount)
	}
	desc := pick(f, "description", "opis")
	if desc == "" {
		return nil, errors.New("description (opis) is required")
	}
	ok := false
	for _, v := range []string{transferuj.VariantJoined, transferuj.VariantPlain} {
		if s.cfg.MD5Variant != "" && s.cfg.MD5Variant != v {
			continue
		}
		want := transferuj.RequestMD5(v, id, amount, crc, s.cfg.SecurityCode)
		ok = ok || subtle.ConstantTimeCompare([]byte(strings.ToLower(sum)), []byte(want)) == 1
	}
	if !ok {
		return nil, errors.New("invalid md5sum")
	}
	result := pick(f, "result_url", "wyn_url")
	ret := pick(f, "return_url", "pow_url")
	errURL := pick(f, "return_error_url", "pow_url_blad")
	if errURL == "" {
		errURL = ret
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &transaction{Title: s.newTitleLocked(), CRC: crc, Amount: m, Status: "pending", Description: desc,
		Email: f.Get("email"), ResultURL: result, ReturnURL: ret, ErrorURL: errURL, Created: time.Now()}
	s.byTitle[t.Title] = t
	s.byCRC[crc] = t
	return t, nil
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tpay (simulator)</title></head>
<body><h1>Tpay payment panel (simulator)</h1>
<p>{{.Title}}: {{.Description}}</p><p>Amount: {{.Amount}}</p>
<form method="post"><button name="outcome" value="paid">Pay</button>
<button name="outcome" value="partial">Pay half (underpayment accepted)</button>
<button name="outcome" value="underpaid">Pay half (underpayment held)</button>
<button name="outcome" value="declined">Bank declines</button>
<button name="outcome" value="abandoned">Abandon</button></form></body></html>`))

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.byTitle[r.PathValue("title")]
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
	back, err := s.pay(r.PathValue("title"), r.PostFormValue("outcome"))
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
func (s *Server) pay(title, outcome string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byTitle[title]
	if !ok {
		return "", errors.New("unknown transaction")
	}
	switch outcome {
	case OutcomeAbandoned:
		return "", nil
	case OutcomeDeclined:
		return t.ErrorURL, nil
	case OutcomePaid, OutcomePartial, OutcomeUnderpaid:
	default:
		return "", fmt.Errorf("unknown outcome %q", outcome)
	}
	if t.Status != "pending" {
		return "", errors.New("transaction already paid")
	}
	status, trErr := tpaynotify.StatusTrue, tpaynotify.ErrorNone
	t.Paid, t.Status = t.Amount.Minor, "paid"
	if outcome != OutcomePaid {
		t.Paid, trErr = max(1, t.Amount.Minor/2), tpaynotify.ErrorSurcharge
	}
	if outcome == OutcomeUnderpaid {
		status, t.Status = tpaynotify.StatusFalse, "error"
	}
	s.notifyLocked(t, status, trErr, t.Paid)
	return t.ReturnURL, nil
}
