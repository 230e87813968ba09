package dummy

import (
	"bytes"
	"context"
	"crypto/hmac"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/edge"
	"github.com/getpaid-go/getpaid/internal/ui"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(ui.Funcs()).ParseFS(templateFS, "templates/*.html"))

// paywallFields travel from Prepare to the paywall, signed with the secret
// so the buyer cannot change the amount or the URLs.
type paywallFields struct {
	PaymentID, Amount, Currency, Description, NotifyURL, SuccessURL, FailureURL string
}

// canonical is what the paywall signature covers: every field, escaped and
// sorted, so no value can spill into another. It is form().Encode(), built
// without the map, the sort and the buffer's regrowth (a fifth of the
// allocations of a dummy payment's start): the names are fixed and listed
// here in Encode's order, which FuzzCanonical holds it to.
func (f paywallFields) canonical() string {
	kv := [...]string{
		"amount", f.Amount, "currency", f.Currency, "description", f.Description, "failure_url", f.FailureURL,
		"notify_url", f.NotifyURL, "payment_id", f.PaymentID, "success_url", f.SuccessURL,
	}
	n := 0
	for i := 1; i < len(kv); i += 2 {
		kv[i] = url.QueryEscape(kv[i])
		n += len(kv[i-1]) + len(kv[i]) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[i])
		b.WriteByte('=')
		b.WriteString(kv[i+1])
	}
	return b.String()
}

// form is the fields as a form, unsigned.
func (f paywallFields) form() url.Values {
	return url.Values{
		"payment_id": {f.PaymentID}, "amount": {f.Amount}, "currency": {f.Currency},
		"description": {f.Description}, "notify_url": {f.NotifyURL}, "success_url": {f.SuccessURL},
		"failure_url": {f.FailureURL},
	}
}

// values is the fields as a form, signed (sig: the signature of the
// canonical form).
func (f paywallFields) values(secret string) url.Values {
	v := f.form()
	v.Set("sig", Sign(secret, []byte(v.Encode())))
	return v
}

// query is values(secret).Encode() with the form encoded once: "sig" sorts
// just before "success_url", the last of the fields, whose name cannot
// appear elsewhere in the encoded form ("&" and "=" are escaped in values).
func (f paywallFields) query(secret string) string {
	canon := f.canonical()
	i := strings.LastIndex(canon, "&success_url=")
	return canon[:i] + "&sig=" + Sign(secret, []byte(canon)) + canon[i:]
}

// maxForm bounds the paywall's form: seven signed fields (a description of
// up to 1024 characters and three URLs), percent-encoded.
const maxForm = 32 << 10

// signedFields reads the paywall fields of r, answering 400, 413 or 403
// itself when they are unreadable, too large or not signed by this shop.
func (b *Broker) signedFields(w http.ResponseWriter, r *http.Request) (paywallFields, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "dummy paywall: form too large", http.StatusRequestEntityTooLarge)
			return paywallFields{}, false
		}
		http.Error(w, "bad form", http.StatusBadRequest)
		return paywallFields{}, false
	}
	f, ok := readFields(r, b.cfg.Secret)
	if !ok {
		http.Error(w, "dummy paywall: the payment fields are not signed by this shop", http.StatusForbidden)
	}
	return f, ok
}

func readFields(r *http.Request, secret string) (paywallFields, bool) {
	g := r.Form.Get
	f := paywallFields{g("payment_id"), g("amount"), g("currency"), g("description"), g("notify_url"), g("success_url"), g("failure_url")}
	want := Sign(secret, []byte(f.canonical()))
	return f, hmac.Equal([]byte(want), []byte(g("sig")))
}

// Pages implements getpaid.PageServer: the paywall, mounted by the HTTP layer
// at /broker/{name}/. GET or POST /pay shows the outcomes; POST /choose records
// the buyer's choice, sends the callback in the background and redirects.
// Every answer carries the security headers of a page without scripts, and
// forms are read up to 32 KiB.
func (b *Broker) Pages() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/pay", b.showPaywall)
	mux.HandleFunc("POST /choose", b.choose)
	return edge.Page(mux)
}

type paywallView struct {
	F      paywallFields
	Fields url.Values
}

func (b *Broker) showPaywall(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, ok := b.signedFields(w, r)
	if !ok {
		return
	}
	b.mu.Lock()
	s, decided := b.state[f.PaymentID]
	status := ""
	if decided {
		status = s.status
	}
	b.mu.Unlock()
	if decided {
		// Opened again (the back button, a second tab): no choices that
		// choose would refuse as already decided.
		back := f.SuccessURL
		if status == StatusFailed || status == "cancelled" {
			back = f.FailureURL
		}
		ui.WriteNotice(w, http.StatusOK, ui.Notice{Title: "Dummy broker", Tag: "test payments", Tone: "info",
			Heading: "This payment is no longer awaiting payment", Text: "The buyer chose an outcome for it before (or the shop cancelled it).",
			Link: back})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, "paywall.html", paywallView{F: f, Fields: f.values(b.cfg.Secret)})
}

func (b *Broker) choose(w http.ResponseWriter, r *http.Request) {
	f, ok := b.signedFields(w, r)
	if !ok {
		return
	}
	outcome := r.Form.Get("outcome")
	amount, err := getpaid.ParseMoney(f.Amount, f.Currency)
	if err != nil {
		http.Error(w, "dummy paywall: bad amount", http.StatusBadRequest)
		return
	}
	target := f.SuccessURL
	switch outcome {
	case StatusPaid, StatusPreAuth:
	case StatusPartiallyPaid:
		amount.Minor /= 2
		if amount.Minor == 0 {
			http.Error(w, "dummy paywall: amount too small to pay partly", http.StatusBadRequest)
			return
		}
	case StatusFailed:
		target = f.FailureURL
	default:
		http.Error(w, "dummy paywall: unknown outcome", http.StatusBadRequest)
		return
	}
	if !b.record(f.PaymentID, outcome, amount) {
		ui.WriteNotice(w, http.StatusConflict, ui.Notice{Title: "Dummy broker", Tag: "test payments", Tone: "warn",
			Heading: "This payment was already decided", Text: "The buyer chose an outcome for it before (or the shop cancelled it); nothing changed.",
			Link: f.SuccessURL})
		return
	}
	if !b.cfg.NoCallbacks {
		b.Notify(f.NotifyURL, Callback{
			PaymentID: f.PaymentID, EventID: getpaid.NewID("dmy"), Status: outcome,
			Amount: amount.Decimal(), Currency: amount.Currency,
		})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// record keeps the buyer's choice; it refuses a payment cancelled or
// decided before.
func (b *Broker) record(id, outcome string, amount getpaid.Money) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, decided := b.state[id]; decided {
		return false
	}
	s := &session{status: outcome, currency: amount.Currency}
	switch outcome {
	case StatusPaid, StatusPartiallyPaid:
		s.captured = amount.Minor
	case StatusPreAuth:
		s.locked = amount.Minor
	}
	b.state[id] = s
	return true
}

// Notify sends a signed callback to url in the background, retrying after
// each of RetryDelays until getpaid answers 2xx.
func (b *Broker) Notify(url string, c Callback) {
	body, sig := EncodeCallback(b.cfg.Secret, c)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for attempt := 0; ; attempt++ {
			if b.send(url, body, sig) {
				return
			}
			if attempt >= len(b.cfg.RetryDelays) {
				return
			}
			select {
			case <-time.After(b.cfg.RetryDelays[attempt]):
			case <-b.quit:
				return
			}
		}
	}()
}

func (b *Broker) send(url string, body []byte, sig string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return true // an unusable URL will not get better
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, sig)
	resp, err := b.client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}
