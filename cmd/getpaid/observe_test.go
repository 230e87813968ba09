package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

const observeKey = "server-api-key-0123456789"

// startServer builds getpaid from a config file as serve does and serves
// it on a test server.
func startServer(t *testing.T, path string) (*server, *httptest.Server) {
	t.Helper()
	c, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := buildServer(context.Background(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ts := httptest.NewServer(srv.handler)
	t.Cleanup(ts.Close)
	return srv, ts
}

func request(t *testing.T, method, url, key string, body []byte, hdr http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// TestMetricsAfterScriptedRun runs 10 payments through the served API and
// signed callbacks (7 paid, 2 failed, one left waiting, and one paid
// callback sent twice) and reads exactly those counts from /metrics.
func TestMetricsAfterScriptedRun(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, sqliteConfig(t, ""))
	callback := func(c dummy.Callback) {
		body, sig := dummy.EncodeCallback("s3cret", c)
		if code, out := request(t, "POST", ts.URL+"/callback/dummy", "", body, http.Header{dummy.SignatureHeader: {sig}}); code != 200 {
			t.Fatalf("callback %+v: %d %s", c, code, out)
		}
	}
	var ids []string
	for i := range 10 {
		body, _ := json.Marshal(map[string]any{"order_id": "o-metrics-" + string(rune('a'+i)), "amount": "12.34", "currency": "PLN", "backend": "dummy"})
		code, out := request(t, "POST", ts.URL+"/api/v1/payments", observeKey, body, nil)
		if code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, out)
		}
		var p struct{ ID string }
		_ = json.Unmarshal([]byte(out), &p)
		ids = append(ids, p.ID)
	}
	for i, id := range ids[:9] {
		status := dummy.StatusPaid
		if i >= 7 {
			status = dummy.StatusFailed
		}
		callback(dummy.Callback{PaymentID: id, EventID: "evt-" + id, Status: status, Amount: "12.34", Currency: "PLN"})
	}
	callback(dummy.Callback{PaymentID: ids[0], EventID: "evt-" + ids[0], Status: dummy.StatusPaid, Amount: "12.34", Currency: "PLN"})

	if code, _ := request(t, "GET", ts.URL+"/metrics", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the API key: %d, want 401", code)
	}
	code, got := request(t, "GET", ts.URL+"/metrics", observeKey, nil, nil)
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`getpaid_payments_created_total{backend="dummy"} 10`,
		`getpaid_callbacks_total{backend="dummy",outcome="applied"} 9`,
		`getpaid_callbacks_total{backend="dummy",outcome="duplicate"} 1`,
		`getpaid_status_transitions_total{backend="dummy",to="prepared"} 10`,
		`getpaid_status_transitions_total{backend="dummy",to="paid"} 7`,
		`getpaid_status_transitions_total{backend="dummy",to="failed"} 2`,
		`getpaid_broker_request_duration_seconds_count{backend="dummy",operation="prepare"} 10`,
		`getpaid_broker_request_duration_seconds_count{backend="dummy",operation="parse_callback"} 10`,
		`getpaid_outbox_pending_deliveries 0`,
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, line := range strings.Split(got, "\n") {
		// The other outcomes are there from the start, at 0.
		if strings.HasPrefix(line, "getpaid_callbacks_total") && !strings.Contains(line, `outcome="applied"`) && !strings.Contains(line, `outcome="duplicate"`) &&
			!strings.HasSuffix(line, " 0") {
			t.Errorf("an extra callback counted: %s", line)
		}
		if strings.HasPrefix(line, "getpaid_store_commit_writes_count ") && strings.HasSuffix(line, " 0") {
			t.Error("no store commit was observed")
		}
	}
	if !strings.Contains(got, "getpaid_store_commit_duration_seconds_count") {
		t.Error("/metrics lacks the store commit histogram")
	}
}

// TestReadyzFollowsTheDatabase takes the database file away and brings it
// back: /readyz turns unready and ready again; /healthz stays up.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	path := sqliteConfig(t, "")
	c, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(c.Database, "sqlite:")
	_, ts := startServer(t, path)
	probe := func(p string) (int, string) { return request(t, "GET", ts.URL+p, "", nil, nil) }
	if code, body := probe("/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("readyz at start: %d %s", code, body)
	}
	if err := os.Rename(db, db+".away"); err != nil {
		t.Fatal(err)
	}
	code, body := probe("/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "database unreachable") || strings.Contains(body, filepath.Dir(db)) {
		t.Errorf("readyz without the database: %d %s; want 503 naming no path", code, body)
	}
	if code, _ := probe("/healthz"); code != 200 {
		t.Errorf("healthz without the database: %d, want 200 (the process is alive)", code)
	}
	if err := os.Rename(db+".away", db); err != nil {
		t.Fatal(err)
	}
	if code, body := probe("/readyz"); code != 200 {
		t.Errorf("readyz with the database back: %d %s", code, body)
	}
}

// TestConsoleServed checks the console is mounted at /admin/ when a user is
// configured, and absent otherwise.
func TestConsoleServed(t *testing.T) {
	t.Parallel()
	hash, err := admin.HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	audit := filepath.Join(t.TempDir(), "audit.log")
	_, ts := startServer(t, sqliteConfig(t, "admin:\n  audit_log: "+audit+"\n  users:\n    - name: alice\n      password_hash: \""+hash+"\"\n"))
	if code, body := request(t, "GET", ts.URL+"/admin/login", "", nil, nil); code != 200 || !strings.Contains(body, "Sign in") {
		t.Errorf("/admin/login: %d", code)
	}
	_, off := startServer(t, sqliteConfig(t, ""))
	if code, _ := request(t, "GET", off.URL+"/admin/login", "", nil, nil); code != http.StatusNotFound {
		t.Errorf("/admin/login without users: %d, want 404", code)
	}
	// require_https covers the console too: its sign-in form is not
	// served over plain http (nor anything else of it).
	_, strict := startServer(t, sqliteConfig(t, "require_https: true\nadmin:\n  audit_log: "+audit+".strict\n  users:\n    - name: alice\n      password_hash: \""+hash+"\"\n"))
	if code, body := request(t, "GET", strict.URL+"/admin/login", "", nil, nil); code != http.StatusForbidden || !strings.Contains(body, "https") {
		t.Errorf("/admin/login over http with require_https: %d %q, want 403", code, body)
	}
}

func TestAdminPasswd(t *testing.T) {
	t.Parallel()
	code, out, errs := runCLI(t, "a long enough password\n", "admin", "passwd")
	if code != 0 || !strings.HasPrefix(out, "$2") {
		t.Fatalf("admin passwd: %d %q %q", code, out, errs)
	}
	if code, _, _ := runCLI(t, "", "admin", "passwd"); code == 0 {
		t.Error("admin passwd with nothing on stdin succeeded")
	}
}

func TestAdminSeed(t *testing.T) {
	t.Parallel()
	path := sqliteConfig(t, "")
	code, out, errs := runCLI(t, "", "admin", "seed", "--config", path, "--count", "300", "--days", "10")
	if code != 0 || !strings.Contains(out, "300 payments written") {
		t.Fatalf("admin seed: %d %q %q", code, out, errs)
	}
	c, _ := loadConfig(path, nil)
	srv, err := buildServer(context.Background(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	totals, err := srv.engine.PaymentTotals(context.Background(), getpaidFilterAll)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, x := range totals {
		n += x.Count
	}
	if n != 300 {
		t.Errorf("totals count %d payments, want 300", n)
	}
	// The totals follow the spread creation times: those older than five
	// days are as many as the listing shows.
	old := 0
	for f := getpaidFilterOld; ; {
		page, err := srv.engine.Payments(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		old += len(page.Payments)
		if f.Cursor = page.NextCursor; f.Cursor == "" {
			break
		}
	}
	if old == 0 {
		t.Error("no seeded payment is older than 5 days")
	}
	oldTotals, err := srv.engine.PaymentTotals(context.Background(), getpaidFilterOld)
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for _, x := range oldTotals {
		n += x.Count
	}
	if n != int64(old) {
		t.Errorf("totals count %d payments older than 5 days, the listing %d", n, old)
	}
}

var (
	getpaidFilterAll = getpaid.PaymentFilter{}
	getpaidFilterOld = getpaid.PaymentFilter{CreatedBefore: time.Now().Add(-5 * 24 * time.Hour)}
)

// TestTracingExports configures tracing against a stand-in OTLP/HTTP
// collector: a request's spans reach it when the server closes.
func TestTracingExports(t *testing.T) {
	t.Parallel()
	got := make(chan string, 16)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type") + " " + string(body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	c, err := loadConfig(sqliteConfig(t, "tracing:\n  otlp_endpoint: "+collector.URL+"\n  service_name: getpaid-test\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := buildServer(context.Background(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.handler)
	body, _ := json.Marshal(map[string]any{"order_id": "o-traced", "amount": "1.00", "currency": "PLN", "backend": "dummy"})
	if code, out := request(t, "POST", ts.URL+"/api/v1/payments", observeKey, body, nil); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, out)
	}
	ts.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-got:
		for _, want := range []string{"POST /v1/traces application/x-protobuf", "getpaid-test", "POST /api", "broker prepare", "store CreatePayment"} {
			if !strings.Contains(req, want) {
				t.Errorf("the export lacks %q", want)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no spans reached the collector")
	}
}

// TestAccessLogTraceIDs: with tracing on, a request's access log line
// carries the trace id of the span it was served in, continued from the
// caller's traceparent, so the line can be found from the trace.
func TestAccessLogTraceIDs(t *testing.T) {
	t.Parallel()
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	c, err := loadConfig(sqliteConfig(t, "tracing:\n  otlp_endpoint: "+collector.URL+"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	srv, err := buildServer(context.Background(), c, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(accessLog(srv.log, srv.handler, true))
	defer ts.Close()
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/payments/pay_nope", nil)
	req.Header.Set("Authorization", "Bearer "+observeKey)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "msg=http ") {
			line = l
		}
	}
	if !strings.Contains(line, "trace_id="+traceID) || !strings.Contains(line, "status=404") {
		t.Fatalf("access line %q lacks trace_id=%s; logs:\n%s", line, traceID, logs.String())
	}
}

// withMetricsListener starts a server whose config sets metrics.listen, and
// its observability; addr is the metrics listener's address.
func withMetricsListener(t *testing.T) (srv *server, ts *httptest.Server, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	path := sqliteConfig(t, "metrics:\n  listen: "+addr+"\n")
	c, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, ts = startServer(t, path)
	stop, err := startObservability(context.Background(), c, srv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return srv, ts, addr
}

// TestMetricsListener serves /metrics and the probes without the API key on
// metrics.listen.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	_, _, addr := withMetricsListener(t)
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		code, body := request(t, "GET", "http://"+addr+p, "", nil, nil)
		if code != 200 {
			t.Errorf("%s on metrics.listen: %d %s", p, code, body)
		}
	}
}

// The probes and /metrics answer with the headers every answer carries
// (nosniff, no framing, no caching, the strict policy), on the main
// listener and on metrics.listen, refusals included; so does a request
// outside base_url's path.
func TestProbesAndMetricsCarrySecurityHeaders(t *testing.T) {
	t.Parallel()
	srv, ts, addr := withMetricsListener(t)
	under := httptest.NewServer(httpapi.Under("/gp", srv.handler))
	defer under.Close()
	noRedirects := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct{ url, key string }{
		{ts.URL + "/healthz", ""}, {ts.URL + "/readyz", ""}, {ts.URL + "/metrics", observeKey}, {ts.URL + "/metrics", ""},
		{"http://" + addr + "/metrics", ""}, {"http://" + addr + "/healthz", ""}, {"http://" + addr + "/readyz", ""},
		{under.URL + "/elsewhere", ""}, {under.URL + "/gp", ""}, // the redirect to /gp/
		// the mux's own answers: a redirect to the cleaned path (it had
		// none of the headers), and metrics.listen's 404
		{ts.URL + "/api/v1//payments", ""}, {ts.URL + "/callback/./dummy", ""},
		{"http://" + addr + "//metrics", ""}, {"http://" + addr + "/nope", ""},
	} {
		req, _ := http.NewRequest("GET", tt.url, nil)
		if tt.key != "" {
			req.Header.Set("Authorization", "Bearer "+tt.key)
		}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
			"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("GET %s (%d): %s = %q, want %q", tt.url, resp.StatusCode, k, got, want)
			}
		}
	}
}

// The probes on the main listener and on metrics.listen are one handler:
// a database gone is logged "not ready" once, not once per listener (found
// by review); and another method on a probe's or the scrape's path is 405
// with Allow on both, not the API's 404 on the main one.
func TestProbesOnBothListeners(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	path := sqliteConfig(t, "metrics:\n  listen: "+addr+"\n")
	c, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv, err := buildServer(context.Background(), c, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ts := httptest.NewServer(srv.handler)
	t.Cleanup(ts.Close)
	stop, err := startObservability(context.Background(), c, srv, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	for _, base := range []string{ts.URL, "http://" + addr} {
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			req, _ := http.NewRequest(http.MethodPost, base+p, nil)
			resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "GET") {
				t.Errorf("POST %s%s: %d (Allow %q), want 405 allowing GET", base, p, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
	}

	db := strings.TrimPrefix(c.Database, "sqlite:")
	if err := os.Rename(db, db+".away"); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{ts.URL, "http://" + addr} {
		if code, body := request(t, "GET", base+"/readyz", "", nil, nil); code != http.StatusServiceUnavailable {
			t.Errorf("readyz on %s without the database: %d %s", base, code, body)
		}
	}
	if n := strings.Count(logs.String(), "not ready"); n != 1 {
		t.Errorf("%d \"not ready\" lines for one outage seen on two listeners, want 1:\n%s", n, logs.String())
	}
	if err := os.Rename(db+".away", db); err != nil {
		t.Fatal(err)
	}
}

// Under base_url's path the probes' 405 names the path the client sent, as
// the API's does.
func TestProbeMethodRefusalUnderBasePath(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "listen: 127.0.0.1:0\nbase_url: http://127.0.0.1:1/gp\ndatabase: sqlite:"+filepath.Join(t.TempDir(), "g.db")+
		"\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy:\n    secret: s3cret\n")
	_, ts := startServer(t, path)
	for _, p := range []string{"/gp/api/v1/payments", "/gp/healthz", "/gp/metrics"} {
		req, _ := http.NewRequest(http.MethodPut, ts.URL+p, nil)
		req.Header.Set("Authorization", "Bearer server-api-key-0123456789")
		resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(body), "on "+p+" ") || !strings.Contains(string(body), `"field":""`) {
			t.Errorf("PUT %s: %d %s; want 405 naming the path sent", p, resp.StatusCode, body)
		}
	}
}
