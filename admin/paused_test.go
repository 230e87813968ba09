package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// goneErr is a webhook endpoint's 410 Gone as the engine reads it.
type goneErr struct{}

func (goneErr) Error() string { return "answered 410 Gone" }
func (goneErr) Gone() bool    { return true }

// goneEndpoint answers every delivery 410 Gone.
type goneEndpoint struct{}

func (goneEndpoint) Name() string { return "webhook:https://old.example/hook" }
func (goneEndpoint) Deliver(context.Context, getpaid.Event) (int, error) {
	return http.StatusGone, goneErr{}
}

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
	if !strings.Contains(b.last, "Paused endpoints") || strings.Contains(b.last, "old.example") {
		t.Fatalf("before any 410, the attention page:\n%s", b.last)
	}
	e.eng.AddConsumer(goneEndpoint{})
	if _, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-gone", Backend: "dummy",
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
	if i < 0 || !strings.Contains(b.last[i:], "webhook:https://old.example/hook") || !strings.Contains(b.last[i:], "it answered HTTP 410 Gone") {
		t.Errorf("the attention page does not list the gone endpoint as paused:\n%s", b.last)
	}
}
