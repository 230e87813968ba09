package engine_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/webhook"
)

// A shop in library mode adds a webhook endpoint as a consumer
// (webhook/doc.go) and shuts down as the README says: its http.Server,
// then eng.Close, registry.Close and store.Close. The endpoint's own
// transport kept its connection to the merchant's server open after that,
// and with it two goroutines (the transport's read and write loops), for
// its idle timeout (90 s): a shop checking for goroutine leaks after
// shutdown (goleak) failed, and the merchant's server kept a connection
// from a getpaid that was gone. Close now has every consumer that can
// close its idle connections (a webhook.Endpoint) do so.
func TestCloseClosesConsumersIdleConnections(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open[c] = true
		case http.StateClosed, http.StateHijacked:
			delete(open, c)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	conns := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(open)
	}

	ep, err := webhook.New(webhook.Config{URL: srv.URL + "/hook", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEngineConfig(t, &fakeBroker{}, engine.Config{Store: memory.New(), Consumers: []engine.Consumer{ep}})
	create(t, e) // payment.created and its change to prepared go to the endpoint
	waitFor(t, "the endpoint's connection", func() bool { return conns() > 0 })
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for conns() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := conns(); n > 0 {
		t.Errorf("%d connection(s) of the webhook endpoint still open 5 s after Close", n)
	}
}
