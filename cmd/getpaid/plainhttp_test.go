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
