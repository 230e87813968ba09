package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/webhook"
)

// An endpoint paused after a 410 Gone that was a mistake is sent its
// events again from the attention page, even when none of its deliveries
// is dead any more: `getpaid events replay --dead` (another process, which
// cannot lift this server's pause) made its dead one pending, and the page
// offered only "deliver one of its dead events again", so the console left
// it paused for the hour.
func TestAttentionSendsNowToAPausedEndpoint(t *testing.T) {
	t.Parallel()
	store := memory.New()
	e := newEnv(t, store, false)
	var gone atomic.Bool
	gone.Store(true)
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if gone.Load() {
			w.WriteHeader(http.StatusGone)
			return
		}
		got.Add(1)
	}))
	t.Cleanup(srv.Close)
	ep, err := webhook.New(webhook.Config{URL: srv.URL + "/hook", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	e.eng.AddConsumer(ep)
	consumer := "webhook:" + srv.URL + "/hook"
	ctx := context.Background()
	if _, err = e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-gone", Backend: "dummy",
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
	// The endpoint is fixed; the CLI, in its own process, makes the dead
	// delivery pending (the store's replay, without this server's resume).
	gone.Store(false)
	if _, err := store.ReplayDeliveries(ctx, getpaid.ReplayRequest{DeadOnly: true, Consumer: consumer, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}

	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/attention", nil)
	i := strings.Index(b.last, `id="paused"`)
	if i < 0 {
		t.Fatalf("no paused endpoints on the page:\n%s", b.last)
	}
	form := regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(.*?)</form>`).FindStringSubmatch(b.last[i:])
	if form == nil || !strings.Contains(form[2], consumer) {
		t.Fatalf("the paused endpoint has no button to send to it now:\n%s", b.last[i:])
	}
	csrf := b.csrf()
	// Refused without the session's token: nothing is sent.
	if resp := b.do("POST", strings.TrimPrefix(form[1], ""), url.Values{"csrf": {"stale"}, "consumer": {consumer}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("with a wrong CSRF token: %d", resp.StatusCode)
	}
	if len(e.eng.Paused()) == 0 {
		t.Fatal("a refused form resumed the endpoint")
	}
	resp := b.do("POST", form[1], url.Values{"csrf": {csrf}, "consumer": {consumer}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send now: %d\n%s", resp.StatusCode, b.last)
	}
	deadline = time.Now().Add(10 * time.Second)
	for got.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("nothing sent to the endpoint; paused: %+v", e.eng.Paused())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(e.eng.Paused()) != 0 {
		t.Errorf("still paused: %+v", e.eng.Paused())
	}
	if a := e.audit.String(); !strings.Contains(a, `"action":"send_now"`) || !strings.Contains(a, `"user":"alice"`) || !strings.Contains(a, consumer) {
		t.Errorf("the audit log does not record it:\n%s", a)
	}
}
