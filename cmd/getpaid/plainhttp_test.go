package main

import (
	"slices"
	"testing"
)

// A backend whose broker URL is plain http on a host other than this
// machine sends its credentials (OAuth secrets, API keys, signed requests)
// in clear: serve warns of each such setting. Loopback stays quiet (the
// simulators), and so does https.
func TestPlainHTTPBrokerSettingsWarned(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig([]byte(`
listen: 127.0.0.1:8000
database: sqlite:/tmp/x.db
api_keys: [k-0123456789abcdef0123]
backends:
  payu:
    pos_id: 1
    second_key: a
    client_id: b
    client_secret: c
    api_url: http://sim.lan:9000
  p24:
    kind: przelewy24
    merchant_id: 1
    crc: a
    api_key: b
    api_url: http://127.0.0.1:9001
  tpay:
    client_id: a
    client_secret: b
    security_code: c
    api_url: https://openapi.tpay.com
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := plainHTTPSettings(cfg)
	want := []string{"backends.payu.api_url: http://sim.lan:9000"}
	if !slices.Equal(got, want) {
		t.Fatalf("warned of %q, want %q", got, want)
	}
}

// A webhook endpoint over plain http on another host was taken without a
// word: the signature proves the events are getpaid's, but what they say
// (orders, amounts, statuses) travels in clear, which the Standard Webhooks
// specification advises against. serve warns of it as of a broker URL; one
// on this machine (a relay, a test receiver) is fine.
func TestPlainHTTPWebhooksWarned(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig([]byte(`
listen: 127.0.0.1:8000
database: sqlite:/tmp/x.db
api_keys: [k-0123456789abcdef0123]
backends:
  dummy: {secret: s}
webhooks:
  - {url: "https://shop.example/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
  - {url: "http://erp.lan:8080/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
  - {url: "HTTP://crm.example/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
  - {url: "http://127.0.0.1:9000/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
  - {url: "http://localhost/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
  - {url: "http://[::1]/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := plainHTTPWebhooks(cfg)
	want := []string{"http://erp.lan:8080/hook", "HTTP://crm.example/hook"}
	if !slices.Equal(got, want) {
		t.Fatalf("warned of %q, want %q", got, want)
	}
}

// require_https without a trusted proxy started silently, and then refused
// every JSON API call and console request: serve speaks plain http, and only
// a trusted proxy's word makes a request https. serve warns of it.
func TestRequireHTTPSWithoutProxyWarned(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		extra string
		want  bool
	}{
		{"", false},
		{"require_https: true\n", true},
		{"require_https: true\ntrusted_proxies: [10.0.0.0/8]\n", false},
		{"trusted_proxies: [10.0.0.0/8]\n", false},
	} {
		cfg, err := parseConfig([]byte("listen: 127.0.0.1:8000\ndatabase: sqlite:/tmp/x.db\napi_keys: [k-0123456789abcdef0123]\nbackends:\n  dummy: {secret: s}\n"+tt.extra), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := httpsUnreachable(cfg); got != tt.want {
			t.Errorf("%q: warned %v, want %v", tt.extra, got, tt.want)
		}
	}
}
