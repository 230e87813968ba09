package httpapi_test

import (
	"bytes"
	"net/http"
	"net/netip"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// allowlisted is the dummy broker taking callbacks from one network only, as
// PayU, Dotpay and Transferuj do with ip_allowlist.
type allowlisted struct {
	*dummy.Broker
	from netip.Prefix
}

func (a *allowlisted) AllowCallbackFrom(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	return err == nil && a.from.Contains(addr)
}

// postCallback posts a signed dummy callback to backend's callback URL with
// extra headers.
func (e *env) postCallback(backend string, body []byte, sig string, hdr map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/callback/"+backend, bytes.NewReader(body))
	req.Header.Set(dummy.SignatureHeader, sig)
	return e.send(req, hdr)
}

// Scenario 7 of django-getpaid: a callback from outside the allowed network
// is 403 and changes nothing; X-Forwarded-For is believed from trusted
// proxies only and walked right to left; a trusted proxy's request without
// the header is the proxy's own, outside the network.
func TestCallbackAllowlistThroughProxies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		proxies []string
		xff     string
		want    int
	}{
		{"trusted proxy, client inside", []string{"127.0.0.1"}, "203.0.113.5", 200},
		{"trusted proxy without the header", []string{"127.0.0.1"}, "", 403},
		{"trusted proxy, client outside", []string{"127.0.0.1"}, "203.0.113.5, 198.51.100.1", 403},
		{"spoofed left entry not believed", []string{"127.0.0.1"}, "198.51.100.1, 203.0.113.5", 200},
		{"chain of trusted proxies walked", []string{"127.0.0.1", "10.0.0.0/8"}, "203.0.113.5, 10.0.0.1", 200},
		{"untrusted peer's header ignored", nil, "203.0.113.5", 403},
		{"garbage hop ends the walk at the proxy", []string{"127.0.0.1"}, "203.0.113.5, unknown", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := dummy.New(dummy.Config{Secret: secret})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			e := newEnv(t, envOpts{proxies: tt.proxies, extra: []getpaid.Backend{
				{Name: "guarded", Broker: &allowlisted{Broker: d, from: netip.MustParsePrefix("203.0.113.0/24")}}}})
			p := e.create("o", "10.00", "PLN", "guarded")
			body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
			hdr := map[string]string{}
			if tt.xff != "" {
				hdr["X-Forwarded-For"] = tt.xff
			}
			resp, b := e.postCallback("guarded", body, sig, hdr)
			if resp.StatusCode != tt.want {
				t.Fatalf("callback: %d %s, want %d", resp.StatusCode, b, tt.want)
			}
			want, transitions := getpaid.StatusPaid, 2
			if tt.want == 403 {
				want, transitions = getpaid.StatusPrepared, 1
				if !bytes.Contains(b, []byte(`"source_not_allowed"`)) {
					t.Fatalf("refusal %s, want source_not_allowed", b)
				}
			}
			if got := e.payment(p.ID); got.Status != want || len(got.History) != transitions {
				t.Fatalf("payment %s with %d transitions after %d", got.Status, len(got.History), resp.StatusCode)
			}
		})
	}
}

// Scenario 15 of django-getpaid: a valid callback naming a payment of
// another backend is refused (403 backend_mismatch) and changes nothing.
func TestCallbackForAnotherBackendsPayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.create("o", "100", "JPY", "yen") // "yen" signs with the same secret
	body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "100", Currency: "JPY"})
	resp, b := e.postCallback("dummy", body, sig, nil)
	if resp.StatusCode != 403 || !bytes.Contains(b, []byte(`"backend_mismatch"`)) {
		t.Fatalf("callback: %d %s, want 403 backend_mismatch", resp.StatusCode, b)
	}
	if got := e.payment(p.ID); got.Status != getpaid.StatusPrepared || len(got.History) != 1 {
		t.Fatalf("payment %s with %d transitions", got.Status, len(got.History))
	}
}
