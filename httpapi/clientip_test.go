package httpapi_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/httpapi"
)

func TestClientIPAndScheme(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	proxies, _ := httpapi.ParseProxies([]string{"127.0.0.1", "10.0.0.0/8", "2001:db8:ffff::/48"})
	xff, err := httpapi.New(httpapi.Config{Service: e.eng, TrustedProxies: proxies})
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := httpapi.New(httpapi.Config{Service: e.eng, TrustedProxies: proxies, ProxyHeader: "Forwarded"})
	if err != nil {
		t.Fatal(err)
	}
	none, _ := httpapi.New(httpapi.Config{Service: e.eng})
	tests := []struct {
		name   string
		h      *httpapi.Handler
		peer   string
		hdr    http.Header
		tls    bool
		ip     string
		scheme string
	}{
		{"no header", xff, "127.0.0.1:5000", nil, false, "127.0.0.1", "http"},
		{"XFF with a port", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.7:5678"}}, false, "203.0.113.7", "http"},
		{"XFF IPv6 in brackets", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"[2001:db8::1]"}}, false, "2001:db8::1", "http"},
		{"XFF IPv6 in brackets with a port", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"[2001:db8::1]:443"}}, false, "2001:db8::1", "http"},
		{"XFF bare IPv6", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {" 2001:db8::2 "}}, false, "2001:db8::2", "http"},
		{"XFF IPv4-mapped IPv6", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"::ffff:203.0.113.9"}}, false, "203.0.113.9", "http"},
		{"XFF zone is never a client", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"fe80::1%eth0"}}, false, "127.0.0.1", "http"},
		{"XFF zone in brackets", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"[fe80::1%eth0]:80"}}, false, "127.0.0.1", "http"},
		{"XFF zone behind a trusted hop", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"fe80::1%eth0, 10.0.0.5"}}, false, "10.0.0.5", "http"},
		{"XFF garbage stops the walk", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"198.51.100.1, unknown, 10.0.0.5"}}, false, "10.0.0.5", "http"},
		{"XFF bad port", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.7:99x"}}, false, "127.0.0.1", "http"},
		{"XFF IPv4 in brackets", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"[203.0.113.7]"}}, false, "127.0.0.1", "http"},
		{"XFF over two header lines", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"198.51.100.1", "203.0.113.7, 10.1.1.1"}}, false, "203.0.113.7", "http"},
		{"XFF through an IPv6 proxy", xff, "[2001:db8:ffff::5]:443", http.Header{"X-Forwarded-For": {"203.0.113.8"}}, false, "203.0.113.8", "http"},
		{"XFF and X-Forwarded-Proto", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"HTTPS"}}, false, "203.0.113.7", "https"},
		// A proxy that appends to X-Forwarded-Proto (HAProxy's add-header)
		// leaves what the client sent on the left: the nearest trusted
		// proxy's report is the rightmost, and with one entry per
		// X-Forwarded-For hop, the client's hop's entry is the one paired
		// with it.
		{"X-Forwarded-Proto list: the nearest proxy's", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-Proto": {"https, http"}}, false, "127.0.0.1", "http"},
		{"X-Forwarded-Proto forged before an appending proxy", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https", "http"}}, false, "203.0.113.7", "http"},
		{"X-Forwarded-Proto appended over https", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"http, https"}}, false, "203.0.113.7", "https"},
		{"X-Forwarded-Proto paired with forged hops", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"198.51.100.1, 203.0.113.7"}, "X-Forwarded-Proto": {"https, http"}}, false, "203.0.113.7", "http"},
		{"X-Forwarded-Proto paired past a trusted hop", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.7, 10.0.0.5"}, "X-Forwarded-Proto": {"https, http"}}, false, "203.0.113.7", "https"},
		{"X-Forwarded-Proto of an unknown client", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"unknown"}, "X-Forwarded-Proto": {"https"}}, false, "127.0.0.1", "https"},
		{"X-Forwarded-Proto set once for two hops", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.7, 10.0.0.5"}, "X-Forwarded-Proto": {"https"}}, false, "203.0.113.7", "https"},
		{"X-Forwarded-Proto nonsense", xff, "127.0.0.1:5000", http.Header{"X-Forwarded-Proto": {"gopher"}}, true, "127.0.0.1", "https"},
		{"Forwarded ignored in XFF mode", xff, "127.0.0.1:5000", http.Header{"Forwarded": {"for=198.51.100.7;proto=https"}}, false, "127.0.0.1", "http"},
		{"untrusted peer's headers ignored", xff, "198.51.100.2:5000", http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}}, false, "198.51.100.2", "http"},
		{"no proxies: headers ignored", none, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}}, false, "127.0.0.1", "http"},
		{"TLS without a proxy", none, "198.51.100.2:5000", nil, true, "198.51.100.2", "https"},
		{"zoned peer", none, "[fe80::1%eth0]:5000", nil, false, "fe80::1", "http"},
		{"Forwarded RFC 7239 example", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {"for=192.0.2.60;proto=https;by=203.0.113.43"}}, false, "192.0.2.60", "https"},
		{"Forwarded quoted IPv6 with port", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {`for="[2001:db8:cafe::17]:4711"`}}, false, "2001:db8:cafe::17", "http"},
		{"Forwarded names in any case", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {`For="[2001:db8::3]";Proto=HTTPS`}}, false, "2001:db8::3", "https"},
		{"Forwarded chain to the first untrusted", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {"for=192.0.2.43;proto=https, for=198.51.100.17;proto=http"}}, false, "198.51.100.17", "http"},
		{"Forwarded chain past a trusted hop", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {"for=192.0.2.43;proto=https, for=10.0.0.9;proto=http"}}, false, "192.0.2.43", "https"},
		{"Forwarded over two lines", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {"for=192.0.2.43", "for=10.0.0.9"}}, false, "192.0.2.43", "http"},
		{"Forwarded unknown", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {"for=unknown;proto=https"}}, false, "127.0.0.1", "http"},
		{"Forwarded obfuscated behind a trusted hop", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {"for=_hidden, for=10.0.0.9"}}, false, "10.0.0.9", "http"},
		{"Forwarded zone", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {`for="[fe80::1%25eth0]"`}}, false, "127.0.0.1", "http"},
		{"Forwarded broken quoting", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {`for="192.0.2.1`}}, false, "127.0.0.1", "http"},
		// A proxy that appends its element to the client's header line
		// (nginx: "$http_forwarded, for=$remote_addr"): a quote the client
		// left open does not swallow the proxy's element, which is read from
		// the right, where the walk starts.
		{"Forwarded: the client's open quote", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {`for="198.51.100.1, for=203.0.113.7`}}, false, "203.0.113.7", "http"},
		{"Forwarded: the client's open quote in a parameter", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {`for=198.51.100.1;ext="a, for=203.0.113.7;proto=https`}}, false, "203.0.113.7", "https"},
		{"Forwarded: the client's escaped quote", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {`for="\", for=203.0.113.7`}}, false, "203.0.113.7", "http"},
		{"Forwarded: quoted commas before the proxy's", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {`for=192.0.2.43;ext="a,\"b,c", for=10.0.0.9`}}, false, "192.0.2.43", "http"},
		{"Forwarded comma inside quotes", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {`for=192.0.2.5;ext="a,b"`}}, false, "192.0.2.5", "http"},
		{"Forwarded obfuscated port", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {`for="192.0.2.6:_p1"`}}, false, "192.0.2.6", "http"},
		// RFC 7239 §4: a parameter occurs at most once per element; one
		// given twice is garbage, not "the last one wins".
		{"Forwarded for= twice in one element", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {"for=203.0.113.7;for=198.51.100.3"}}, false, "127.0.0.1", "http"},
		{"Forwarded proto= twice in one element", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {"for=203.0.113.7;proto=http;proto=https"}}, false, "127.0.0.1", "http"},
		{"Forwarded names twice in any case", fwd, "127.0.0.1:5000", http.Header{"Forwarded": {"for=203.0.113.7;For=198.51.100.3"}}, false, "127.0.0.1", "http"},
		{"XFF ignored in Forwarded mode", fwd, "127.0.0.1:5000", http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Proto": {"https"}}, false, "127.0.0.1", "http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for k, v := range tt.hdr {
				r.Header[k] = v
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := tt.h.ClientIP(r); got != tt.ip {
				t.Errorf("ClientIP = %q, want %q", got, tt.ip)
			}
			if got := tt.h.Scheme(r); got != tt.scheme {
				t.Errorf("Scheme = %q, want %q", got, tt.scheme)
			}
		})
	}
	if _, err := httpapi.New(httpapi.Config{Service: e.eng, ProxyHeader: "X-Real-IP"}); err == nil {
		t.Error("an unknown proxy header was accepted")
	}
	if _, err := httpapi.ParseProxies([]string{"fe80::1%eth0"}); err == nil {
		t.Error("a zoned trusted proxy was accepted")
	}
}

// A trusted proxy that is not an address or prefix is refused in words a
// config's author reads: the entry and what it should be, not Go's parser.
func TestParseProxiesRefusesInPlainWords(t *testing.T) {
	t.Parallel()
	for _, entry := range []string{"banana", "10.0.0.0/99", "10.0.0/8", "::1/x", ""} {
		t.Run(entry, func(t *testing.T) {
			t.Parallel()
			_, err := httpapi.ParseProxies([]string{"10.0.0.1", entry})
			if err == nil {
				t.Fatal("accepted")
			}
			want := fmt.Sprintf("trusted proxy %q: want an IP address or a CIDR prefix like 10.0.0.0/8", entry)
			if err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
		})
	}
}

// Acceptance 3: over HTTP, the resolved address is what the payment records
// (and what brokers such as PayU are sent as customerIp).
func TestForwardedClientIPStored(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, header, value, mode, want string
	}{
		{"XFF with a port", "X-Forwarded-For", "203.0.113.7:5678", "", "203.0.113.7"},
		{"XFF bracketed IPv6", "X-Forwarded-For", "[2001:db8::1]:443", "", "2001:db8::1"},
		{"XFF zone", "X-Forwarded-For", "fe80::1%eth0", "", "127.0.0.1"},
		{"Forwarded", "Forwarded", `for="[2001:db8:cafe::17]:4711";proto=https`, "Forwarded", "2001:db8:cafe::17"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{proxies: []string{"127.0.0.1"}, proxyHeader: tt.mode})
			resp, body := e.do("POST", "/api/v1/payments", map[string]any{"order_id": "o", "amount": "1.00", "currency": "PLN", "backend": "dummy"},
				map[string]string{"Authorization": "Bearer " + apiKey, tt.header: tt.value})
			if resp.StatusCode != 201 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			var p httpapi.PaymentJSON
			_ = json.Unmarshal(body, &p)
			stored, _ := e.store.Payment(context.Background(), p.ID)
			if stored.ClientIP != tt.want {
				t.Fatalf("client IP %q, want %q", stored.ClientIP, tt.want)
			}
		})
	}
}

// RequireHTTPS refuses API calls that a trusted TLS proxy says came over
// plain http, before looking at the key.
func TestRequireHTTPS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{proxies: []string{"127.0.0.1"}, requireHTTPS: true})
	for _, tt := range []struct {
		proto  string
		status int
	}{{"https", 200}, {"http", 403}, {"", 403}} {
		hdr := map[string]string{"Authorization": "Bearer " + apiKey}
		if tt.proto != "" {
			hdr["X-Forwarded-Proto"] = tt.proto
		}
		resp, body := e.do("GET", "/api/v1/payments", nil, hdr)
		if resp.StatusCode != tt.status || (tt.status == 403 && !strings.Contains(string(body), "https_required")) {
			t.Fatalf("proto %q: %d %s, want %d", tt.proto, resp.StatusCode, body, tt.status)
		}
	}
	// Callbacks and pages are not API calls: brokers may notify over http.
	if resp, body := e.callback([]byte(`{}`), ""); resp.StatusCode != 403 || !strings.Contains(string(body), "signature_invalid") {
		t.Fatalf("callback: %d %s, want its own refusal, not https_required", resp.StatusCode, body)
	}
}

// Trusted proxies given to Config as prefixes in IPv4-mapped form (what
// netip.AddrFromSlice makes of a net.IP, or a ::ffff: CIDR) are the IPv4
// proxies they name, as ParseProxies already reads them: before, they never
// matched a peer (peers are compared unmapped), so every client was taken
// for the proxy: a broker's callbacks refused by its address allowlist, the
// proxy's address sent to brokers as the buyer's.
func TestTrustedProxiesGivenIPv4Mapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	tests := []struct {
		name  string
		proxy netip.Prefix
		peer  string
	}{
		{"address from a net.IP", netip.PrefixFrom(addrFromNetIP(t, "127.0.0.1"), 128), "127.0.0.1:5000"},
		{"mapped CIDR", netip.MustParsePrefix("::ffff:10.0.0.0/104"), "10.1.2.3:5000"},
		{"mapped CIDR not masked", netip.MustParsePrefix("::ffff:10.9.9.9/104"), "10.1.2.3:5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := httpapi.New(httpapi.Config{Service: e.eng, TrustedProxies: []netip.Prefix{tt.proxy}})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			r.Header.Set("X-Forwarded-For", "203.0.113.7")
			if got := h.ClientIP(r); got != "203.0.113.7" {
				t.Fatalf("ClientIP through proxy %s from %s = %s, want 203.0.113.7", tt.proxy, tt.peer, got)
			}
		})
	}
	for _, bad := range []netip.Prefix{{}, netip.MustParsePrefix("::ffff:0.0.0.0/80")} {
		if _, err := httpapi.New(httpapi.Config{Service: e.eng, TrustedProxies: []netip.Prefix{bad}}); err == nil {
			t.Errorf("New took trusted proxy %s", bad)
		}
	}
}

// addrFromNetIP is s as a net.IP (16 bytes) turned into a netip.Addr.
func addrFromNetIP(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, ok := netip.AddrFromSlice(net.ParseIP(s))
	if !ok {
		t.Fatalf("no address %s", s)
	}
	return a
}

// TestForwardedManyParametersCheap: a client behind a trusted proxy that
// passes its Forwarded line on sent an element of thousands of parameters
// (x0=1;x1=1;…, 15 KiB within max_header_bytes), and each was looked for
// among those before it: getpaid serve spent 37 ms of CPU on each such
// request, a 429 included (0.35 ms without the header), so one connection
// kept a core busy. The element is read in time linear in its length.
func TestForwardedManyParametersCheap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	proxies, _ := httpapi.ParseProxies([]string{"127.0.0.1"})
	fwd, err := httpapi.New(httpapi.Config{Service: e.eng, TrustedProxies: proxies, ProxyHeader: "Forwarded"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := range 200_000 { // quadratic: 2e10 comparisons; linear: milliseconds
		fmt.Fprintf(&b, "x%d=1;", i)
	}
	for _, tt := range []struct{ name, header, ip string }{
		{"an element left of the nearest", b.String() + "for=203.0.113.9, for=198.51.100.7", "198.51.100.7"},
		{"the nearest element", "for=203.0.113.9, " + b.String() + "for=198.51.100.7", "198.51.100.7"},
		// Past the first few names too, one given twice ends the walk.
		{"a name given twice among many", "for=203.0.113.9, " + b.String() + "x3=2;for=198.51.100.7", "127.0.0.1"},
		{"for given twice among many", "for=203.0.113.9, for=198.51.100.8;" + b.String() + "for=198.51.100.7", "127.0.0.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:5000"
		r.Header.Set("Forwarded", tt.header)
		got := make(chan string, 1)
		go func() { got <- fwd.ClientIP(r) }()
		select {
		case ip := <-got:
			if ip != tt.ip {
				t.Errorf("%s: ClientIP = %q, want %q", tt.name, ip, tt.ip)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: ClientIP of a 1.6 MB Forwarded element not done in 10 s", tt.name)
		}
	}
}

// TestForwardingHeaderReadAsFarAsTheWalk: a client behind a trusted proxy
// that appends to its forwarding header (nginx's
// $proxy_add_x_forwarded_for, the README's setup) could send 15 KB of
// commas, within max_header_bytes: every one was split off and parsed as
// a hop before the walk, which stops at the first that is no address, and
// each request (a 429 included) cost getpaid serve 15 ms of CPU and 4 MB
// of garbage, through the default X-Forwarded-For as through Forwarded
// (200 such callbacks: 3.0 s of CPU, against 0.06 s without). The header
// is read from the right only as far as the walk goes.
//
// Not parallel: AllocsPerRun counts every goroutine's allocations.
func TestForwardingHeaderReadAsFarAsTheWalk(t *testing.T) {
	e := newEnv(t, envOpts{})
	proxies, _ := httpapi.ParseProxies([]string{"127.0.0.1", "10.0.0.0/8"})
	commas := strings.Repeat(",", 15_000)
	hops := strings.Repeat("198.51.100.1, ", 1_000)
	for _, tt := range []struct {
		name, proxyHeader string
		header            map[string]string
		ip, scheme        string
	}{
		{"commas", "X-Forwarded-For", map[string]string{"X-Forwarded-For": commas + "203.0.113.9"}, "203.0.113.9", "http"},
		{"commas before proxies", "X-Forwarded-For", map[string]string{"X-Forwarded-For": commas + "203.0.113.9, 10.0.0.2"}, "203.0.113.9", "http"},
		{"many addresses", "X-Forwarded-For", map[string]string{"X-Forwarded-For": hops + "203.0.113.9"}, "203.0.113.9", "http"},
		{"commas in the schemes too", "X-Forwarded-For", map[string]string{"X-Forwarded-For": commas + "203.0.113.9", "X-Forwarded-Proto": commas + "https"}, "203.0.113.9", "https"},
		{"a scheme per hop", "X-Forwarded-For", map[string]string{"X-Forwarded-For": commas + "203.0.113.9, 10.0.0.2", "X-Forwarded-Proto": commas + "https, http"}, "203.0.113.9", "https"},
		{"Forwarded commas", "Forwarded", map[string]string{"Forwarded": commas + "for=203.0.113.9"}, "203.0.113.9", "http"},
		{"Forwarded elements", "Forwarded", map[string]string{"Forwarded": strings.Repeat("for=198.51.100.1, ", 1_000) + `for=203.0.113.9;proto=https, for="10.0.0.2"`}, "203.0.113.9", "https"},
	} {
		h, err := httpapi.New(httpapi.Config{Service: e.eng, TrustedProxies: proxies, ProxyHeader: tt.proxyHeader})
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:5000"
		for k, v := range tt.header {
			r.Header.Set(k, v)
		}
		if ip, scheme := h.ClientIP(r), h.Scheme(r); ip != tt.ip || scheme != tt.scheme {
			t.Errorf("%s: client %s over %s, want %s over %s", tt.name, ip, scheme, tt.ip, tt.scheme)
		}
		// A few, for the client's address and its element; before, one
		// for each hop that is no address, and slices of all of them.
		if n := testing.AllocsPerRun(10, func() { h.ClientIP(r) }); n > 10 {
			t.Errorf("%s: ClientIP made %.0f allocations", tt.name, n)
		}
	}
}
