package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/webhook"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sampleEvent() getpaid.Event {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return getpaid.Event{ID: "evt_pay_1_v3", Type: getpaid.EventStatusChanged, PaymentID: "pay_1", OrderID: "order-42",
		Backend: "payu_pln", From: getpaid.StatusPrepared, To: getpaid.StatusPaid,
		Amount: getpaid.MustParseMoney("49.99", "PLN"), Captured: getpaid.MustParseMoney("49.99", "PLN"),
		Refunded: getpaid.Money{Currency: "PLN"}, At: at, Cause: "captured (COMPLETED)"}
}

// The JSON body is a public contract: its shape is pinned by a golden file
// that the README's example copies.
func TestPayloadGolden(t *testing.T) {
	t.Parallel()
	got, err := json.MarshalIndent(webhook.NewPayload(sampleEvent()), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "payload.golden.json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got)+"\n" {
		t.Fatalf("payload changed (a public contract):\n%s\nwant:\n%s", got, want)
	}
}

// An endpoint sends the signed request the specification describes, with
// both signatures while a secret is rotated.
func TestEndpointSends(t *testing.T) {
	t.Parallel()
	cur, old := webhook.NewSecret(), webhook.NewSecret()
	var (
		mu  sync.Mutex
		got *http.Request
		raw []byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got, raw = r, mustRead(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	now := time.Now()
	ep, err := webhook.New(webhook.Config{URL: srv.URL + "/hooks", Secrets: []string{cur, old}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if ep.Name() != "webhook:"+srv.URL+"/hooks" {
		t.Fatalf("name %q", ep.Name())
	}
	status, err := ep.Deliver(context.Background(), sampleEvent())
	if err != nil || status != http.StatusNoContent {
		t.Fatalf("Deliver = %d, %v", status, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.Method != http.MethodPost || got.Header.Get("Content-Type") != "application/json" ||
		got.Header.Get(webhook.HeaderID) != "evt_pay_1_v3" || got.Header.Get(webhook.HeaderTimestamp) != strconv.FormatInt(now.Unix(), 10) {
		t.Fatalf("request %s %v", got.Method, got.Header)
	}
	for _, s := range []string{cur, old} {
		if _, err := webhook.Verify([]string{s}, got.Header, raw, 0, now); err != nil {
			t.Errorf("secret %d does not verify: %v", len(s), err)
		}
	}
	var p webhook.Payload
	if err := json.Unmarshal(raw, &p); err != nil || p.Data.To != getpaid.StatusPaid || p.Data.Amount != "49.99" {
		t.Fatalf("body %s: %v", raw, err)
	}
	// The answer's body is never read but to keep the connection: no
	// compression is asked for.
	if ae, sent := got.Header["Accept-Encoding"]; sent {
		t.Errorf("Accept-Encoding %q sent", ae)
	}
	// The body is json.Marshal's encoding of the payload, byte for byte.
	if want, _ := json.Marshal(webhook.NewPayload(sampleEvent())); string(raw) != string(want) {
		t.Fatalf("body %s\nwant %s (json.Marshal)", raw, want)
	}
}

func TestEndpointFailures(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500":
			w.WriteHeader(500)
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/slow":
			time.Sleep(2 * time.Second)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		path   string
		status int
	}{{"/500", 500}, {"/redirect", 302}, {"/slow", 0}} {
		ep, err := webhook.New(webhook.Config{URL: srv.URL + tc.path, Secrets: []string{webhook.NewSecret()},
			Client: &http.Client{Timeout: time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		status, err := ep.Deliver(context.Background(), sampleEvent())
		if err == nil || status != tc.status {
			t.Errorf("%s: %d, %v; want a failure with status %d", tc.path, status, err, tc.status)
		}
	}
	for _, cfg := range []webhook.Config{
		{URL: "ftp://x", Secrets: []string{webhook.NewSecret()}},
		{URL: "https://user:pass@x.example/hook", Secrets: []string{webhook.NewSecret()}},
		{URL: "https://x.example"},
		{URL: "https://x.example", Secrets: []string{"nope"}},
		{URL: "https://x.example", Secrets: []string{webhook.NewSecret()}, Events: []getpaid.EventType{"payment.paid"}},
		// A type named twice is a slip (another was meant, or a copy):
		// refused, as any other setting that cannot be what was meant.
		{URL: "https://x.example", Secrets: []string{webhook.NewSecret()}, Events: []getpaid.EventType{getpaid.EventStatusChanged, getpaid.EventStatusChanged}},
		// A URL is stored and indexed with every delivery: PostgreSQL's
		// index would refuse every write of one this long.
		{URL: "https://x.example/" + strings.Repeat("a", 2048), Secrets: []string{webhook.NewSecret()}},
		// A port no connection can be made to, and a fragment, which is
		// never sent (the same endpoint under a second name, so every
		// event twice): refused at start, not found out by every delivery.
		{URL: "https://x.example:99999/hook", Secrets: []string{webhook.NewSecret()}},
		{URL: "https://x.example:65536/hook", Secrets: []string{webhook.NewSecret()}},
		{URL: "https://x.example:0/hook", Secrets: []string{webhook.NewSecret()}},
		{URL: "https://x.example/hook#b", Secrets: []string{webhook.NewSecret()}},
		{URL: "https://x.example/hook#", Secrets: []string{webhook.NewSecret()}},
	} {
		if _, err := webhook.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		} else if strings.Contains(err.Error(), "pass") {
			t.Errorf("New(%+v): %v shows the URL's password", cfg, err)
		}
	}
}

func mustRead(r io.Reader) []byte {
	b, _ := io.ReadAll(r)
	return b
}

// The README shows one request exactly as an endpoint sends it, and the
// signature a merchant's Python or shell check must arrive at: the sample
// event, signed with the README's secret at 2026-12-01T10:00:00Z.
func TestReadmeExample(t *testing.T) {
	t.Parallel()
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		body   = `{"type":"payment.status_changed","timestamp":"2026-12-01T10:00:00Z","data":{"event_id":"evt_pay_1_v3","payment_id":"pay_1","version":3,"order_id":"order-42","backend":"payu_pln","from":"prepared","to":"paid","amount":"49.99","captured":"49.99","refunded":"0.00","currency":"PLN","cause":"captured (COMPLETED)"}}`
		want   = "v1,tKE3RSC/2U/j3k3zg5Z2RXaRK8tq+dJRufpdLIvnmp8="
		ts     = 1796119200
	)
	got, err := json.Marshal(webhook.NewPayload(sampleEvent()))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != body {
		t.Fatalf("body sent:\n%s\nREADME shows:\n%s", got, body)
	}
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	if sig := webhook.Sign(key, "evt_pay_1_v3", ts, got); sig != want {
		t.Fatalf("signature %s, README shows %s", sig, want)
	}
	h := http.Header{}
	h.Set(webhook.HeaderID, "evt_pay_1_v3")
	h.Set(webhook.HeaderTimestamp, strconv.Itoa(ts))
	h.Set(webhook.HeaderSignature, want)
	if _, err := webhook.Verify([]string{secret}, h, got, 5*time.Minute, time.Unix(ts, 0)); err != nil {
		t.Fatalf("Verify rejects the README's example: %v", err)
	}
}

// TestEndpointKeepsConnections delivers events in rounds of 8 at once, as
// the engine does: the endpoint reuses its connections instead of opening
// one per delivery (Go's default transport keeps only 2 idle per host),
// whether its answers have a body (read to the end, to keep the connection)
// or none (nothing read).
func TestEndpointKeepsConnections(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter)
	}{
		{"no body", func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }},
		{"no content", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }},
		{"a body", func(w http.ResponseWriter) { _, _ = io.WriteString(w, "ok") }},
		{"a chunked body", func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, "received")
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, ", thanks")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var opened sync.Map
			var mu sync.Mutex
			conns := 0
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				time.Sleep(2 * time.Millisecond)
				tc.answer(w)
			}))
			srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
				if s == http.StateNew {
					if _, dup := opened.LoadOrStore(c, true); !dup {
						mu.Lock()
						conns++
						mu.Unlock()
					}
				}
			}
			srv.Start()
			defer srv.Close()
			ep, err := webhook.New(webhook.Config{URL: srv.URL, Secrets: []string{webhook.NewSecret()}})
			if err != nil {
				t.Fatal(err)
			}
			const workers, rounds = 8, 25
			for range rounds { // the engine's rhythm: a claim's deliveries at once, then the next claim
				var wg sync.WaitGroup
				for range workers {
					wg.Go(func() {
						if _, err := ep.Deliver(context.Background(), sampleEvent()); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
			}
			mu.Lock()
			defer mu.Unlock()
			if conns > 2*workers {
				t.Errorf("%d deliveries opened %d connections; want at most %d", workers*rounds, conns, 2*workers)
			}
		})
	}
}

// What an endpoint's failed answer says is passed on to the engine, as the
// Standard Webhooks specification asks of a sender: 410 Gone means the
// endpoint wants no more webhooks (the engine stops retrying), and a
// Retry-After (seconds or an HTTP date; 429 and 503 send it) is when to try
// again at the earliest, and 429, 502 and 504 ask to slow down (the engine
// pauses the endpoint).
func TestEndpointFailureHints(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("retry_after"); v != "" {
			w.Header().Set("Retry-After", v)
		}
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.WriteHeader(code)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		query     string
		gone      bool
		after     time.Duration
		throttled bool
	}{
		{"code=410", true, 0, false},
		{"code=404", false, 0, false},
		{"code=503&retry_after=120", false, 2 * time.Minute, false},
		{"code=429&retry_after=" + url.QueryEscape(now.Add(90*time.Second).Format(http.TimeFormat)), false, 90 * time.Second, true},
		{"code=429", false, 0, true},
		{"code=502", false, 0, true},
		{"code=504&retry_after=7", false, 7 * time.Second, true},
		{"code=500", false, 0, false},
		{"code=503&retry_after=" + url.QueryEscape(now.Add(-time.Hour).Format(http.TimeFormat)), false, 0, false},
		{"code=503&retry_after=soon", false, 0, false},
		{"code=503&retry_after=-5", false, 0, false},
		{"code=500&retry_after=99999999999999999999", false, 365 * 24 * time.Hour, false}, // past int64: the longest wait, not none
		{"code=500&retry_after=-99999999999999999999", false, 0, false},
		{"code=500&retry_after=%2B99999999999999999999", false, 365 * 24 * time.Hour, false},
	} {
		ep, err := webhook.New(webhook.Config{URL: srv.URL + "/?" + tc.query, Secrets: []string{webhook.NewSecret()},
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ep.Deliver(context.Background(), sampleEvent())
		var hint interface {
			Gone() bool
			RetryAfter() time.Duration
			Throttled() bool
		}
		if !errors.As(err, &hint) {
			t.Fatalf("%s: %v says nothing more", tc.query, err)
		}
		if hint.Gone() != tc.gone || hint.RetryAfter() != tc.after || hint.Throttled() != tc.throttled {
			t.Errorf("%s: gone %v, retry after %v, throttled %v; want %v, %v, %v", tc.query, hint.Gone(), hint.RetryAfter(), hint.Throttled(), tc.gone, tc.after, tc.throttled)
		}
	}
}
