package httpapi

import (
	"bytes"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzForwarding: whatever forwarding headers a trusted proxy passes on,
// the client is a valid address without a zone, and the scheme http or
// https.
func FuzzForwarding(f *testing.F) {
	for _, s := range []string{"203.0.113.7:5678", "[2001:db8::1]:443", "fe80::1%eth0", "unknown", "a, b ,, c",
		`for=192.0.2.60;proto=https;by=203.0.113.43`, `for="[2001:db8:cafe::17]:4711"`, `for="\"`, `for=_x, for=10.0.0.1`, `;;,=,"`} {
		f.Add(s, "https")
	}
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, value, proto string) {
		for _, forwarded := range []bool{false, true} {
			h := &Handler{proxies: proxies, forwarded: forwarded}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = "127.0.0.1:1"
			r.Header["X-Forwarded-For"] = []string{value}
			r.Header["Forwarded"] = []string{value}
			r.Header["X-Forwarded-Proto"] = []string{proto}
			a, scheme := h.origin(r)
			if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
				t.Fatalf("client %v from %q", a, value)
			}
			if scheme != "http" && scheme != "https" {
				t.Fatalf("scheme %q", scheme)
			}
		}
		els := elements{lines: []string{value}}
		for e, ok := els.next(); ok; e, ok = els.next() {
			if hop := parseElement(e); hop.ok && (!hop.addr.IsValid() || hop.addr.Zone() != "") {
				t.Fatalf("hop %+v from %q", hop, value)
			}
		}
	})
}

// FuzzDecodeJSON: a body the API accepts decodes to strings that are what
// the client sent: valid UTF-8, with U+FFFD only where the body had one.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"order_id":"o1","amount":"1.00"}`, `{"order_id":"a\ud800"}`, "{\"order_id\":\"\xff\"}",
		`{"order_id":"a","ORDER_ID":"b"}`, `{"buyer":{"email":"a@b.c","Email":"x"}}`, `{"description":"\ufffd \\ud800"}`,
		`{"buyer":{"first_name":"\ud83d\ude00"}}`, `[{"a":1}]`, `{"order_id":"x"} 1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req CreateRequest
		if decodeStrict(body, &req) != nil {
			return
		}
		literal := bytes.Count(body, []byte("\uFFFD")) + bytes.Count(bytes.ToLower(body), []byte(`\ufffd`))
		n := 0
		for _, s := range []string{req.OrderID, req.Amount, req.Currency, req.Backend, req.Description, req.ReturnURL,
			req.Buyer.Email, req.Buyer.FirstName, req.Buyer.LastName, req.Buyer.Phone, req.Buyer.Language} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted invalid UTF-8 %q", s)
			}
			n += strings.Count(s, "\uFFFD")
		}
		if n > literal {
			t.Fatalf("accepted %q: %d replacement characters decoded, %d in the body", body, n, literal)
		}
	})
}
