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
	"github.com/getpaid-go/getpaid/internal/simkit"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
	"github.com/getpaid-go/getpaid/internal/ui"
)

// Handler serves the payment panel: the form endpoint at "/" (GET or POST),
// the buyer's page at /pay/{title} and the notification certificates under
// /x509/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	forms := edge.NewLimiter(edge.LimiterConfig{})
	form := edge.FormPage(forms, edge.DefaultFormBytes, s.down.Outage(s.form))
	mux.Handle("GET /{$}", form)
	mux.Handle("POST /{$}", form)
	mux.Handle("GET /pay/{title}", edge.Page(http.HandlerFunc(s.page)))
	mux.Handle("POST /pay/{title}", edge.FormPage(forms, edge.DefaultFormBytes, http.HandlerFunc(s.choose)))
	mux.HandleFunc("GET /x509/{file}", s.cert)
	return mux
}

// cert serves the root and signing certificates.
func (s *Server) cert(w http.ResponseWriter, r *http.Request) {
	pem, ok := s.certs["/x509/"+r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(pem)
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
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	t, err := s.register(r.Form)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, s.URL()+"/pay/"+url.PathEscape(t.Title), http.StatusSeeOther)
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

// buyer is the payment page.
var buyer = simkit.Buyer{Broker: "Tpay", Page: template.Must(template.New("page").Funcs(ui.Funcs()).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">{{style}}<title>Tpay: pay {{.Amount}}</title></head>
<body class="sim"><header class="top"><strong>Tpay payment panel (Transferuj.pl form)</strong><span class="sim-tag">simulator</span></header>
<div class="card"><p class="muted">{{.Description}}</p><p class="amount" id="amount">{{.Amount}}</p><p class="note">Transaction {{.Title}}</p></div>
{{if .Open}}<form method="post" class="choices"><button name="outcome" value="paid" id="pay">Pay<small>Tpay notifies the shop (TRUE).</small></button>
<button name="outcome" value="partial" id="partial" class="secondary">Pay half, accepted<small>An underpayment Tpay accepts: the order is partially paid.</small></button>
<button name="outcome" value="underpaid" id="underpaid" class="secondary">Pay half, held<small>An underpayment Tpay holds (FALSE): the shop decides.</small></button>
<button name="outcome" value="declined" id="decline" class="danger">Bank declines<small>The buyer goes back to the shop; Tpay sends nothing.</small></button>
<button name="outcome" value="abandoned" id="abandon" class="secondary">Abandon<small>The buyer closes the page; nothing happens.</small></button></form>
{{else}}<div class="banner info" id="done"><strong>This transaction is no longer awaiting payment</strong><p>Status: {{.Status}}.</p></div>{{end}}</body></html>`)),
	Unknown: "Unknown transaction", UnknownText: "The simulator has no such transaction (it keeps them in memory: was it restarted?)."}

// Open reports whether the transaction still awaits the buyer's payment:
// the page offers its outcomes only then.
func (t transaction) Open() bool { return t.Status == "pending" }

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.byTitle[r.PathValue("title")]
	var view transaction
	if ok {
		view = *t
	}
	s.mu.Unlock()
	buyer.Show(w, view, ok)
}

func (s *Server) choose(w http.ResponseWriter, r *http.Request) {
	title, outcome := r.PathValue("title"), r.PostFormValue("outcome")
	back, err := s.pay(title, outcome)
	buyer.Chosen(w, r, back, err, outcome == OutcomeAbandoned, func() string { return s.returnURL(title) })
}

// returnURL is where a transaction's buyer goes back to.
func (s *Server) returnURL(title string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.byTitle[title]; ok {
		return t.ReturnURL
	}
	return ""
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
