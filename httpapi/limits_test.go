package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/httpapi"
)

// post sends body to path; length -1 sends it chunked (no Content-Length).
func (e *env) post(path string, body io.Reader, length int64, hdr map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.ContentLength = length
	return e.send(req, hdr)
}

// hidden hides a reader's length, so the request is sent chunked.
type hidden struct{ io.Reader }

func TestCallbackBodyCaps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{limits: httpapi.Limits{CallbackBytes: map[string]int64{"yen": 100}}})
	p := e.create("o-cap", "10.00", "PLN", "dummy")
	valid, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
	padded := append(bytes.Repeat([]byte(" "), 4097-len(valid)), valid...) // valid JSON, one byte over dummy's 4 KiB
	hdr := map[string]string{dummy.SignatureHeader: dummy.Sign(secret, padded), "Content-Type": "application/json"}
	tests := []struct {
		name   string
		path   string
		body   []byte
		chunk  bool
		hdr    map[string]string
		status int
	}{
		{"declared over the broker's cap", "/callback/dummy", padded, false, hdr, 413},
		{"chunked over the broker's cap", "/callback/dummy", padded, true, hdr, 413},
		{"1 MB declared", "/callback/dummy", bytes.Repeat([]byte("x"), 1<<20), false, hdr, 413},
		{"over the operator's cap for a backend", "/callback/yen", valid, false, map[string]string{dummy.SignatureHeader: sig}, 413},
		{"unknown backend", "/callback/nope", valid, false, nil, 404},
		{"within the cap", "/callback/dummy", append(bytes.Repeat([]byte(" "), 4096-len(valid)), valid...), false,
			map[string]string{dummy.SignatureHeader: dummy.Sign(secret, append(bytes.Repeat([]byte(" "), 4096-len(valid)), valid...))}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tt.body)
			length := int64(len(tt.body))
			if tt.chunk {
				body, length = hidden{body}, -1
			}
			resp, out := e.post(tt.path, body, length, tt.hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, out)
			}
			if got := e.payment(p.ID); tt.status != 200 && got.Status != getpaid.StatusPrepared {
				t.Fatalf("a refused callback changed the payment to %s", got.Status)
			}
		})
	}
	if got := e.payment(p.ID); got.Status != getpaid.StatusPaid {
		t.Fatalf("the callback within the cap was not applied: %s", got.Status)
	}
}

// staller sends a request whose body stops after one byte until it is
// released, holding whatever the server reserved for it. It speaks HTTP on
// a raw connection, so the headers surely leave at once.
type staller struct {
	conn net.Conn
	done chan struct{}
	resp *http.Response
}

func (e *env) stall(path string, length int64) *staller {
	e.t.Helper()
	return e.stallFrom(path, length, "")
}

// stallFrom is stall with X-Forwarded-For: xff (none when empty), for an
// env whose proxies include 127.0.0.1.
func (e *env) stallFrom(path string, length int64, xff string) *staller {
	e.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	s := &staller{conn: conn, done: make(chan struct{})}
	head := ""
	if xff != "" {
		head = "X-Forwarded-For: " + xff + "\r\n"
	}
	if _, err := fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: getpaid\r\n%sContent-Length: %d\r\n\r\n{", path, head, length); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		defer close(s.done)
		if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
			resp.Body.Close()
			s.resp = resp
		}
	}()
	e.t.Cleanup(s.release)
	return s
}

// release hangs up.
func (s *staller) release() {
	s.conn.Close()
	<-s.done
}

// until retries probe until it answers want.
func until(t *testing.T, want int, probe func() (*http.Response, []byte)) *http.Response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, _ := probe()
		if resp.StatusCode == want {
			return resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("never answered %d (last %d)", want, resp.StatusCode)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestBusy: slow senders of large bodies use up the read slots or the budget;
// further large bodies get 503 with Retry-After while small ones, which is
// what brokers send, still get through.
func TestBusy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		limits         httpapi.Limits
		stall, probeCL int64
	}{
		// Refusals unlimited: the probes are refused callbacks, and on a busy
		// machine (the race detector, the whole suite) a thousand of them
		// could come before the staller's body is read, turning the probes'
		// answer into 429 for good.
		{"read slots used up", httpapi.Limits{BodyReads: 1, CallbackRefusals: 1 << 30}, 20_000, 10_000},
		{"budget used up", httpapi.Limits{BodyBudget: 24_000, APIBytes: 8 << 10, FormBytes: 8 << 10, AddressBudget: 24_000, CallbackRefusals: 1 << 30}, 20_000, 6_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.limits.CallbackBytes = map[string]int64{"dummy": 20_000} // the largest body either case sends
			e := newEnv(t, envOpts{limits: tt.limits})
			p := e.create("o-busy", "10.00", "PLN", "dummy")
			s := e.stall("/callback/dummy", tt.stall)
			junk := bytes.Repeat([]byte(" "), int(tt.probeCL))
			resp := until(t, 503, func() (*http.Response, []byte) {
				// A staller whose read began while a probe held its share
				// was itself refused as busy (on a loaded machine the probe
				// can come first): stall again.
				select {
				case <-s.done:
					s = e.stall("/callback/dummy", tt.stall)
				default:
				}
				return e.post("/callback/dummy", bytes.NewReader(junk), tt.probeCL, nil)
			})
			if resp.Header.Get("Retry-After") != "1" {
				t.Fatalf("503 without Retry-After: %v", resp.Header)
			}
			body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
			if resp, out := e.callback(body, sig); resp.StatusCode != 200 {
				t.Fatalf("a legitimate callback while busy: %d %s", resp.StatusCode, out)
			}
			s.release()
			until(t, 403, func() (*http.Response, []byte) {
				return e.post("/callback/dummy", bytes.NewReader(junk), tt.probeCL, nil)
			})
		})
	}
}

// TestBusyOneAddress: slow senders of small bodies (within every cap, so
// needing no read slot) from one address cannot take the whole body budget:
// past its share that address is answered 503, and a broker's callback from
// another address is still read and applied.
func TestBusyOneAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		attacker string // X-Forwarded-For of the slow senders
	}{
		{"IPv4", "203.0.113.9"},
		{"IPv6, one /64", "2001:db8:1:2::%d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{proxies: []string{"127.0.0.1"},
				limits: httpapi.Limits{BodyBudget: 40_000, APIBytes: 4 << 10, FormBytes: 4 << 10, CallbackRefusals: 1 << 30}})
			p := e.create("o-busy-one", "10.00", "PLN", "dummy")
			// Ten bodies of 4,000 bytes (the dummy's cap is 4 KiB) would
			// hold the whole budget.
			var busy int
			for i := range 10 {
				from := tt.attacker
				if strings.Contains(from, "%d") {
					from = fmt.Sprintf(from, i+1)
				}
				s := e.stallFrom("/callback/dummy", 4000, from)
				select {
				case <-s.done: // answered at once: refused
					if s.resp == nil || s.resp.StatusCode != http.StatusServiceUnavailable {
						t.Fatalf("slow sender %d answered %+v, want 503", i, s.resp)
					}
					busy++
				case <-time.After(200 * time.Millisecond): // being read
				}
			}
			if busy == 0 {
				t.Fatal("one address held the whole body budget: none of its slow senders was refused")
			}
			body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
			resp, out := e.postCallback("dummy", body, sig, map[string]string{"X-Forwarded-For": "198.51.100.7"})
			if resp.StatusCode != 200 {
				t.Fatalf("the broker's callback while one address stalls: %d %s", resp.StatusCode, out)
			}
			if got := e.payment(p.ID); got.Status != getpaid.StatusPaid {
				t.Fatalf("payment %s after the broker's callback, want paid", got.Status)
			}
		})
	}
}

func TestBodyTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{limits: httpapi.Limits{BodyTimeout: 100 * time.Millisecond}})
	s := e.stall("/callback/dummy", 1000)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled body was never answered")
	}
	if s.resp == nil || s.resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("stalled body answered %+v, want 408", s.resp)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// logLines collects log records' messages.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.lines = append(l.lines, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }
func (l *logLines) count(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

func TestAuthFailuresRateLimited(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	logs := &logLines{}
	e := newEnv(t, envOpts{proxies: []string{"127.0.0.1"}, log: slog.New(logs),
		limits: httpapi.Limits{AuthFailures: 3, Window: time.Minute, Now: clock.Now}})
	from := func(ip, key string) *http.Response {
		resp, _ := e.do("GET", "/api/v1/payments", nil, map[string]string{"Authorization": "Bearer " + key, "X-Forwarded-For": ip})
		return resp
	}
	for i := range 3 {
		if resp := from("203.0.113.5", "wrong-key-wrong-key"); resp.StatusCode != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	for _, key := range []string{"wrong-key-wrong-key", apiKey} {
		resp := from("203.0.113.5", key)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "60" {
			t.Fatalf("after 3 failures (key %q): %d Retry-After %q, want 429 and 60", key, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if resp := from("203.0.113.6", apiKey); resp.StatusCode != 200 {
		t.Fatalf("another address: %d, want 200", resp.StatusCode)
	}
	for range 50 {
		from("203.0.113.5", "wrong-key-wrong-key")
	}
	if n := logs.count("API authentication failed"); n != 2 {
		t.Fatalf("%d log lines for 56 failures of one address in one window, want 2 (the first, and the one reaching the limit)", n)
	}
	clock.Add(time.Minute)
	if resp := from("203.0.113.5", apiKey); resp.StatusCode != 200 {
		t.Fatalf("next window: %d, want 200", resp.StatusCode)
	}
}

func TestRefusedCallbacksRateLimited(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	logs := &logLines{}
	e := newEnv(t, envOpts{log: slog.New(logs), limits: httpapi.Limits{CallbackRefusals: 3, Now: clock.Now}})
	p := e.create("o-rl", "10.00", "PLN", "dummy")
	body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
	for range 20 { // too large: cheap, not counted
		if resp, _ := e.post("/callback/dummy", bytes.NewReader(make([]byte, 5000)), 5000, nil); resp.StatusCode != 413 {
			t.Fatalf("oversized: %d", resp.StatusCode)
		}
	}
	forged := "0" + sig[1:] // the signature with its first hex digit changed
	if sig[0] == '0' {
		forged = "1" + sig[1:]
	}
	for i := range 3 {
		if resp, _ := e.callback(body, forged); resp.StatusCode != 403 {
			t.Fatalf("forged %d: %d, want 403", i, resp.StatusCode)
		}
	}
	resp, _ := e.callback(body, sig)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after 3 refusals a valid callback got %d, want 429 with Retry-After", resp.StatusCode)
	}
	if got := e.payment(p.ID); got.Status != getpaid.StatusPrepared {
		t.Fatalf("a rate-limited callback was applied: %s", got.Status)
	}
	if n := logs.count("callback refused"); n != 2 {
		t.Fatalf("%d log lines, want 2", n)
	}
	clock.Add(time.Minute)
	if resp, _ := e.callback(body, sig); resp.StatusCode != 200 {
		t.Fatalf("next window: %d", resp.StatusCode)
	}
}

func TestPageFormCaps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{limits: httpapi.Limits{FormBytes: 1000}})
	e.orders["o-f"] = &getpaid.Order{ID: "o-f", Amount: getpaid.MustParseMoney("5.00", "PLN"), ReturnURL: "https://shop.example/o/f"}
	big := url.Values{"backend": {"dummy"}, "pad": {strings.Repeat("x", 2000)}}
	for _, path := range []string{"/pay/o-f", "/broker/dummy/choose", "/broker/dummy/pay"} {
		resp, body := e.postForm(path, big)
		if resp.StatusCode != 413 {
			t.Fatalf("%s: %d, want 413: %s", path, resp.StatusCode, body)
		}
		assertPageHeaders(t, path, resp)
	}
	if ps := e.byOrder("o-f"); len(ps) != 0 {
		t.Fatalf("an oversized form stored %d payments", len(ps))
	}
}

// TestLoopbackHasNoAddressShare: a reverse proxy on the same machine not
// listed in trusted_proxies makes every client 127.0.0.1. Its bodies count
// in the budget only, as its connections count in the connection total
// only: one share for every client would let a few slow senders behind the
// proxy hold up all the brokers' callbacks, an eighth of the budget away.
func TestLoopbackHasNoAddressShare(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{limits: httpapi.Limits{BodyBudget: 40_000, APIBytes: 4 << 10, FormBytes: 4 << 10, CallbackRefusals: 1 << 30}})
	p := e.create("o-busy-loopback", "10.00", "PLN", "dummy")
	for i := range 5 { // 20,000 bytes: four times the address share of 5,000
		s := e.stall("/callback/dummy", 4000)
		select {
		case <-s.done:
			t.Fatalf("slow sender %d from loopback answered %+v at once; want its body read", i, s.resp)
		case <-time.After(200 * time.Millisecond):
		}
	}
	body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
	if resp, out := e.postCallback("dummy", body, sig, nil); resp.StatusCode != 200 {
		t.Fatalf("a callback through the proxy while others stall: %d %s", resp.StatusCode, out)
	}
}

// TestBudgetHoldsTheLargestBody: a body budget, or one address's share of
// it, smaller than the largest body a route takes (a PayU callback may be
// 64 KiB) refused such a body as busy (503, Retry-After) every time it was
// sent: retrying never helped. Set so, it is a configuration error; left
// to its default, an address's share holds at least one such body.
func TestBudgetHoldsTheLargestBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	for _, tc := range []struct {
		name   string
		limits httpapi.Limits
		want   string
	}{
		{"budget below the API body", httpapi.Limits{BodyBudget: 16 << 10}, "body budget"},
		{"address share below a callback body", httpapi.Limits{AddressBudget: 2 << 10}, "address budget"},
		{"address share above the budget", httpapi.Limits{BodyBudget: 1 << 20, AddressBudget: 2 << 20}, "address budget"},
	} {
		if _, err := httpapi.New(httpapi.Config{Service: e.eng, Limits: tc.limits}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error naming the %s", tc.name, err, tc.want)
		}
	}
	// 256 KiB of budget: an eighth (32 KiB) would not hold one 64 KiB API
	// body, nor the share the largest callback body.
	e2 := newEnv(t, envOpts{proxies: []string{"127.0.0.1"}, limits: httpapi.Limits{BodyBudget: 256 << 10, CallbackBytes: map[string]int64{"dummy": 64 << 10}, CallbackRefusals: 1 << 30}})
	// A 40 KiB body within its 64 KiB cap is read (and refused for what it
	// says), not answered busy.
	body := []byte("{" + strings.Repeat(" ", 40<<10) + "}")
	if resp, out := e2.postCallback("dummy", body, "not-a-signature", map[string]string{"X-Forwarded-For": "198.51.100.7"}); resp.StatusCode == http.StatusServiceUnavailable {
		t.Fatalf("a 40 KiB callback within its 64 KiB cap: %d %s", resp.StatusCode, out)
	}
}

// TestRefusedCallbacksSentAtOnceCounted: forged callbacks whose bodies were
// still arriving when their address reached CallbackRefusals were all
// verified and answered 403 (300 sent at once to getpaid serve with a limit
// of 60: 300 refusals in the window), as the address was looked up only
// before the body was read. One whose body arrives after its address went
// over the limit is answered 429, unverified, as one sent then is; nothing
// is applied.
func TestRefusedCallbacksSentAtOnceCounted(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, envOpts{limits: httpapi.Limits{CallbackRefusals: 3, Now: clock.Now}})
	p := e.create("o-rl-at-once", "10.00", "PLN", "dummy")
	body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
	forged := "0" + sig[1:]
	if sig[0] == '0' {
		forged = "1" + sig[1:]
	}
	// Senders whose handlers are reading their bodies: the server asks for
	// a body (100 Continue) only once the handler reads it.
	type sender struct {
		conn net.Conn
		r    *bufio.Reader
	}
	var waiting []sender
	for range 4 {
		c, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "POST /callback/dummy HTTP/1.1\r\nHost: getpaid\r\nContent-Type: application/json\r\n%s: %s\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n",
			dummy.SignatureHeader, forged, len(body))
		r := bufio.NewReader(c)
		if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
			t.Fatalf("no 100 Continue: %q %v", line, err)
		}
		_, _ = r.ReadString('\n') // the blank line ending it
		waiting = append(waiting, sender{c, r})
	}
	for i := range 3 {
		if resp, out := e.callback(body, forged); resp.StatusCode != 403 {
			t.Fatalf("forged %d: %d %s, want 403", i, resp.StatusCode, out)
		}
	}
	for i, s := range waiting {
		if _, err := s.conn.Write(body); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(s.r, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("forged callback %d, its body arriving after 3 refusals: %d %s, want 429 with Retry-After", i, resp.StatusCode, out)
		}
	}
	if got := e.payment(p.ID); got.Status != getpaid.StatusPrepared {
		t.Fatalf("a refused callback was applied: %s", got.Status)
	}
}
