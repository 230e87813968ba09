package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/webhook"
)

// The attention page lists the endpoints this server pauses, until when
// and why: after a 410 Gone an endpoint is sent nothing for an hour, and
// before, only a log line said so (its later deliveries read as due and
// never tried).
func TestAttentionListsPausedEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), false)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/attention", nil)
	if !strings.Contains(b.last, "Paused endpoints") || strings.Contains(b.last, "webhook:") {
		t.Fatalf("before any 410, the attention page:\n%s", b.last)
	}
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	t.Cleanup(gone.Close)
	ep, err := webhook.New(webhook.Config{URL: gone.URL + "/hook", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	e.eng.AddConsumer(ep)
	if _, err = e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-gone", Backend: "dummy",
		Amount: getpaid.MustParseMoney("1.00", "PLN"), ReturnURL: "https://shop.example/o"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(e.eng.Paused()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the gone endpoint is never paused")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.do("GET", "/admin/attention", nil)
	i := strings.Index(b.last, "Paused endpoints")
	if i < 0 || !strings.Contains(b.last[i:], "webhook:"+gone.URL+"/hook") || !strings.Contains(b.last[i:], "it answered HTTP 410 Gone") {
		t.Errorf("the attention page does not list the gone endpoint as paused:\n%s", b.last)
	}
}

// A pending delivery to an endpoint this process pauses says so on the
// payment's page, until when and why: it showed "next at" a time already
// past, as if it were about to be sent.
func TestPaymentPageShowsPausedEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), false)
	b := e.browser()
	b.mustLogin()
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	t.Cleanup(gone.Close)
	ep, err := webhook.New(webhook.Config{URL: gone.URL + "/hook", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	e.eng.AddConsumer(ep)
	pay := func(order string) *getpaid.Payment {
		res, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: order, Backend: "dummy",
			Amount: getpaid.MustParseMoney("1.00", "PLN"), ReturnURL: "https://shop.example/o"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	pay("o-first")
	deadline := time.Now().Add(10 * time.Second)
	for len(e.eng.Paused()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the gone endpoint is never paused")
		}
		time.Sleep(10 * time.Millisecond)
	}
	p := pay("o-second")
	b.do("GET", "/admin/payments/"+p.ID, nil)
	i := strings.Index(b.last, "webhook:"+gone.URL+"/hook</strong>: <span class=\"op op-pending\">pending")
	if i < 0 {
		t.Fatalf("no pending delivery to the paused endpoint on the page:\n%s", b.last)
	}
	line := b.last[i:]
	line = line[:strings.Index(line, "</div>")]
	if strings.Contains(line, "next at") || !strings.Contains(line, "its endpoint is paused until") || !strings.Contains(line, "HTTP 410 Gone") {
		t.Errorf("the delivery to the paused endpoint reads:\n%s", line)
	}
}
