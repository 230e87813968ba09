package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/webhook"
)

// inputs are a page's form fields: what is sent back, not what is read.
var inputs = regexp.MustCompile(`<input[^>]*>`)

// An endpoint URL may carry a secret in its query (?token=…): the console
// shows it with the query's values hidden, on the payment's page, the
// attention page and in the audit log, and still sends and replays to the
// URL as configured.
func TestConsoleHidesEndpointQueryValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), false)
	b := e.browser()
	b.mustLogin()
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != "SECRET42" {
			w.WriteHeader(http.StatusBadRequest) // not the URL as configured
			return
		}
		w.WriteHeader(http.StatusGone)
	}))
	t.Cleanup(gone.Close)
	ep, err := webhook.New(webhook.Config{URL: gone.URL + "/hook?token=SECRET42", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	e.eng.AddConsumer(ep)
	p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-secret", Backend: "dummy",
		Amount: getpaid.MustParseMoney("1.00", "PLN"), ReturnURL: "https://shop.example/o"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(e.eng.Paused()) == 0 { // paused by its 410: it was sent to the URL as configured
		if time.Now().After(deadline) {
			t.Fatal("the endpoint is never paused")
		}
		time.Sleep(10 * time.Millisecond)
	}
	shown := "webhook:" + gone.URL + "/hook?token=xxxxx"
	for _, page := range []string{"/admin/payments/" + p.ID, "/admin/attention"} {
		b.do("GET", page, nil)
		if read := inputs.ReplaceAllString(b.last, ""); strings.Contains(read, "SECRET42") || !strings.Contains(read, shown) {
			t.Errorf("%s shows the endpoint's token, or not the endpoint (want %s):\n%s", page, shown, read)
		}
	}
	b.do("POST", "/admin/attention/send_now", url.Values{"csrf": {b.csrf()}, "consumer": {ep.Name()}})
	if a := e.audit.String(); strings.Contains(a, "SECRET42") || !strings.Contains(a, `"action":"send_now","result":"ok"`) {
		t.Errorf("the audit log of a send now:\n%s", a)
	}
}
