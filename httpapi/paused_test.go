package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
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

// GET /api/v1/events/paused lists the consumers this server sends nothing
// to for now and why: an endpoint that answered 410 Gone waits an hour, and
// before, only a log line said so (its deliveries read as pending, due, and
// never tried). A Service that cannot say answers 501.
func TestPausedEndpointsListed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	resp, body := e.do("GET", "/api/v1/events/paused", nil, auth)
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"paused":[]}` {
		t.Fatalf("none paused: %d %s", resp.StatusCode, body)
	}
	e.eng.AddConsumer(goneEndpoint{})
	before := time.Now()
	e.paidThroughPaywall("o-gone", "10.00")
	var list httpapi.PausedJSON
	deadline := time.Now().Add(10 * time.Second)
	for len(list.Paused) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the gone endpoint is never listed paused")
		}
		time.Sleep(10 * time.Millisecond)
		resp, body = e.do("GET", "/api/v1/events/paused", nil, auth)
		if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 {
			t.Fatalf("paused: %d %s", resp.StatusCode, body)
		}
	}
	got := list.Paused[0]
	if len(list.Paused) != 1 || got.Endpoint != "https://old.example/hook" || got.Consumer != "webhook:https://old.example/hook" ||
		!got.Gone || got.Status != 410 || got.Until.Before(before.Add(time.Hour)) || got.Until.After(time.Now().Add(time.Hour)) {
		t.Errorf("paused: %s; want the gone endpoint, 410, for an hour", body)
	}
	bare := newEnv(t, envOpts{wrapService: func(s getpaid.Service) getpaid.Service { return onlyService{s} }})
	resp, body = bare.do("GET", "/api/v1/events/paused", nil, auth)
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(string(body), "not_implemented") {
		t.Errorf("paused without a reporter: %d %s; want 501", resp.StatusCode, body)
	}
	if resp, body := e.do("GET", "/api/v1/events/paused?endpoint=x", nil, auth); resp.StatusCode != 422 || !strings.Contains(string(body), "this route takes none") {
		t.Errorf("paused with a parameter: %d %s; want 422", resp.StatusCode, body)
	}
}
