package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/webhook"
)

// hookReceiver is a merchant's webhook endpoint for the cluster tests. It
// verifies every request with webhook.Verify (a request that does not
// verify fails the test and is answered 400) and records it. Requests hold
// picks are held unanswered until release is closed or their sender goes
// away; the others are answered after delay.
type hookReceiver struct {
	t       *testing.T
	secret  string
	srv     *httptest.Server
	hold    func(webhook.Payload) bool
	release chan struct{}
	delay   time.Duration // before each answer, keeping requests in flight

	mu   sync.Mutex
	reqs []hookRequest
}

// hookRequest is one request a hookReceiver got.
type hookRequest struct {
	id      string // webhook-id
	payload webhook.Payload
	at      time.Time
}

// newHookReceiver starts a receiver, closed when the test ends.
func newHookReceiver(t *testing.T, hold func(webhook.Payload) bool) *hookReceiver {
	h := &hookReceiver{t: t, secret: webhook.NewSecret(), hold: hold, release: make(chan struct{})}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, err := webhook.Verify([]string{h.secret}, r.Header, body, 0, time.Now())
	if err != nil {
		h.t.Errorf("a webhook request does not verify: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil || p.Data.EventID != id {
		h.t.Errorf("webhook %s: payload %s (%v): want its event id to be the webhook-id", id, body, err)
	}
	h.mu.Lock()
	h.reqs = append(h.reqs, hookRequest{id: id, payload: p, at: time.Now()})
	h.mu.Unlock()
	wait := h.release
	if h.hold == nil || !h.hold(p) {
		wait = make(chan struct{})
		time.AfterFunc(h.delay, func() { close(wait) })
	}
	select {
	case <-wait:
	case <-r.Context().Done():
		return // the sender died or gave up: it never hears back
	}
	w.WriteHeader(http.StatusNoContent)
}

// config is the YAML of a getpaid.yaml sending every event to h, with
// attempts bounded by a second (so a delivery's lease is 6 s).
func (h *hookReceiver) config() string {
	return fmt.Sprintf("webhooks:\n  - url: %s/hooks\n    secret: %s\ndelivery_timeout: 1s\n", h.srv.URL, h.secret)
}

// requests returns the requests so far whose payload match matches.
func (h *hookReceiver) requests(match func(webhook.Payload) bool) []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookRequest
	for _, r := range h.reqs {
		if match(r.payload) {
			out = append(out, r)
		}
	}
	return out
}

// paidOf matches the paid status event of payment id.
func paidOf(id string) func(webhook.Payload) bool {
	return func(p webhook.Payload) bool { return p.Data.PaymentID == id && p.Data.To == "paid" }
}

// anyEvent matches every event.
func anyEvent(webhook.Payload) bool { return true }

// waitUntil polls cond every 50 ms until it holds, failing the test after
// timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
