package httpapi_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getpaid-go/getpaid/httpapi"
)

// TestHSTSOverHTTPS: an answer to a request that came over https (TLS, or
// as a trusted proxy reports) tells the browser to use https only
// (Strict-Transport-Security), whatever the route and status; one over
// plain http, or whose https only an untrusted client claims, does not
// (browsers ignore it over http, and a client must not set it).
func TestHSTSOverHTTPS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	proxies, _ := httpapi.ParseProxies([]string{"127.0.0.1"})
	h, err := httpapi.New(httpapi.Config{Service: e.eng, APIKeys: []string{"an-api-key-0123456789"}, TrustedProxies: proxies})
	if err != nil {
		t.Fatal(err)
	}
	https := http.Header{"X-Forwarded-Proto": {"https"}}
	for _, tt := range []struct {
		name, method, path, peer string
		hdr                      http.Header
		tls                      bool
		want                     string
	}{
		{"backends over TLS", "GET", "/api/v1/backends", "198.51.100.2:5000", nil, true, "max-age=31536000"},
		{"backends behind a trusted TLS proxy", "GET", "/api/v1/backends", "127.0.0.1:5000", https, false, "max-age=31536000"},
		{"401 behind a trusted TLS proxy", "GET", "/api/v1/payments", "127.0.0.1:5000", https, false, "max-age=31536000"},
		{"404 behind a trusted TLS proxy", "GET", "/nope", "127.0.0.1:5000", https, false, "max-age=31536000"},
		{"405 behind a trusted TLS proxy", "DELETE", "/api/v1/backends", "127.0.0.1:5000", https, false, "max-age=31536000"},
		{"callback behind a trusted TLS proxy", "POST", "/callback/dummy", "127.0.0.1:5000", https, false, "max-age=31536000"},
		{"status page over TLS", "GET", "/success/pay_nope", "198.51.100.2:5000", nil, true, "max-age=31536000"},
		{"plain http", "GET", "/api/v1/backends", "127.0.0.1:5000", nil, false, ""},
		{"https claimed by an untrusted client", "GET", "/api/v1/backends", "198.51.100.2:5000", https, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.path, nil)
			r.RemoteAddr = tt.peer
			for k, v := range tt.hdr {
				r.Header[k] = v
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got := w.Header().Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("%d: Strict-Transport-Security %q, want %q", w.Code, got, tt.want)
			}
		})
	}
}
