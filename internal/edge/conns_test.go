package edge_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/internal/edge"
)

// peerConn is one end of a pipe that says it comes from addr.
type peerConn struct {
	net.Conn
	addr net.Addr
}

func (c peerConn) RemoteAddr() net.Addr { return c.addr }

// dialer is a listener whose connections the test makes, from the
// addresses it chooses.
type dialer struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newDialer() *dialer { return &dialer{conns: make(chan net.Conn), done: make(chan struct{})} }

func (d *dialer) Accept() (net.Conn, error) {
	select {
	case c := <-d.conns:
		return c, nil
	case <-d.done:
		return nil, net.ErrClosed
	}
}
func (d *dialer) Close() error   { d.once.Do(func() { close(d.done) }); return nil }
func (d *dialer) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }

// dial hands the listener a connection from ip and returns the client's end.
func (d *dialer) dial(t *testing.T, ip string) net.Conn {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	d.conns <- peerConn{Conn: server, addr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(ip), 40000))}
	return client
}

// refused reports whether client's connection was answered 503 and closed.
func refused(t *testing.T, client net.Conn) bool {
	t.Helper()
	b, err := io.ReadAll(client)
	if err != nil && !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("reading the refusal: %v", err)
	}
	return strings.HasPrefix(string(b), "HTTP/1.1 503 ")
}

// TestLimitListener: one client address (an IPv6 /64) keeps at most
// PerAddress connections open and everyone together Total; one beyond is
// answered 503 with Retry-After and closed, and a closed one gives its
// place back. Loopback peers and the trusted proxies, through which every
// client comes, count in the total only.
func TestLimitListener(t *testing.T) {
	t.Parallel()
	d := newDialer()
	var mu sync.Mutex
	var log []string
	ln := edge.LimitListener(d, edge.ConnLimitConfig{Total: 6, PerAddress: 2, Exempt: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		Refused: func(addr string, total bool) {
			mu.Lock()
			defer mu.Unlock()
			log = append(log, addr+map[bool]string{true: " total", false: " address"}[total])
		}})
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() { ln.Close() })
	accept := func(ip string) net.Conn {
		t.Helper()
		d.dial(t, ip)
		select {
		case c := <-accepted:
			return c
		case <-time.After(5 * time.Second):
			t.Fatalf("a connection from %s was not accepted", ip)
			return nil
		}
	}
	first := accept("203.0.113.5")
	accept("203.0.113.5")
	if c := d.dial(t, "203.0.113.5"); !refused(t, c) {
		t.Fatal("a third connection from one address was not refused")
	}
	accept("2001:db8:1:2::1") // another address
	accept("2001:db8:1:2::2")
	if c := d.dial(t, "2001:db8:1:2:ffff::9"); !refused(t, c) {
		t.Fatal("a third connection from one IPv6 /64 was not refused")
	}
	// The first one closed, its address may connect again.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	_ = first.Close() // a second Close gives nothing back twice
	accept("203.0.113.5")
	// Loopback and a trusted proxy: counted in the total only (4 open now).
	accept("127.0.0.1")
	accept("10.1.2.3")
	if c := d.dial(t, "10.1.2.3"); !refused(t, c) {
		t.Fatal("a seventh connection was not refused by the total")
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"203.0.113.5 address", "2001:db8:1:2:ffff::9 address", "10.1.2.3 total"}
	if strings.Join(log, ",") != strings.Join(want, ",") {
		t.Errorf("refusals reported %q, want %q", log, want)
	}
}

// TestRefusalIsHTTP: what a refused client reads is a whole HTTP answer
// (its Content-Length right), so an HTTP client reports a 503 it retries
// on, not a malformed response; like every answer, it carries the strict
// security headers.
func TestRefusalIsHTTP(t *testing.T) {
	t.Parallel()
	d := newDialer()
	ln := edge.LimitListener(d, edge.ConnLimitConfig{Total: 1})
	go func() {
		for {
			if _, err := ln.Accept(); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { ln.Close() })
	d.dial(t, "203.0.113.7") // held
	c := d.dial(t, "203.0.113.8")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "too many connections") {
		t.Fatalf("refusal: %d %v %q %v", resp.StatusCode, resp.Header, body, err)
	}
	strict := http.Header{}
	edge.SetStrict(strict)
	for k, v := range strict {
		if got := resp.Header.Values(k); len(got) != 1 || got[0] != v[0] {
			t.Errorf("refusal's %s: %q, want %q", k, got, v)
		}
	}
}

// TestRefusedBodyAnswerEndsTheConnection: net/http answers a request whose
// body it will not read (a 413 before the body, a budget refusal) and then
// half-closes the connection (its FIN) before waiting to close it, so the
// client reads the answer and the end of the connection, not a reset half
// a second later. A connection of the capped listener must keep that
// half-close (CloseWrite).
func TestRefusedBodyAnswerEndsTheConnection(t *testing.T) {
	t.Parallel()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now()) // as httpapi's dropBody
		_ = r.Body.Close()
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	})}
	go func() { _ = hs.Serve(edge.LimitListener(raw, edge.ConnLimitConfig{})) }()
	t.Cleanup(func() { hs.Close() })
	c, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"+strings.Repeat("a", 64<<10)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("answer %d, want 413", resp.StatusCode)
	}
	// net/http waits 500 ms before closing; its FIN comes at once.
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the answer: %v, want the connection's end (EOF) at once", err)
	}
}
