package tpaynotify

import (
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// Certificates are trusted only from under the prefix: same scheme and host,
// a path below it. A plain string prefix would accept a look-alike host.
func TestTrustedPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix, x5u string
		ok          bool
	}{
		{"https://secure.tpay.com", "https://secure.tpay.com/x509/notifications-jws.pem", true},
		{"https://secure.tpay.com/", "https://secure.tpay.com/x509/notifications-jws.pem", true},
		{"https://secure.sandbox.tpay.com", "https://secure.sandbox.tpay.com/x509/notifications-jws.pem", true},
		{"https://secure.tpay.com", "https://SECURE.TPAY.COM/x509/a.pem", true},
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000/x509/notifications-jws.pem", true},
		{"https://secure.tpay.com", "https://secure.tpay.com.attacker.example/x509/a.pem", false},
		{"https://secure.tpay.com", "https://secure.tpay.com@attacker.example/x509/a.pem", false},
		{"https://secure.tpay.com", "https://user@secure.tpay.com/x509/a.pem", false},
		{"https://secure.tpay.com", "http://secure.tpay.com/x509/a.pem", false},
		{"https://secure.tpay.com", "https://secure.tpay.com:8443/x509/a.pem", false},
		{"https://secure.tpay.com", "https://secure.sandbox.tpay.com/x509/a.pem", false},
		{"https://secure.sandbox.tpay.com", "https://secure.tpay.com/x509/a.pem", false},
		{"http://127.0.0.1:9000", "http://127.0.0.1:90000/x509/a.pem", false},
		{"https://secure.tpay.com/x509", "https://secure.tpay.com/x5090/a.pem", false},
		{"https://secure.tpay.com/x509", "https://secure.tpay.com/x509/../evil.pem", false},
		{"https://secure.tpay.com", "https://secure.tpay.com", false},
		{"https://secure.tpay.com", "", false},
		{"https://secure.tpay.com", "//secure.tpay.com/x509/a.pem", false},
		{"https://secure.tpay.com", "https://secure.tpay.com/x509/a.pem#frag", false},
	}
	for _, tt := range tests {
		if got := trusted(tt.prefix, tt.x5u); got != tt.ok {
			t.Errorf("trusted(%q, %q) = %v, want %v", tt.prefix, tt.x5u, got, tt.ok)
		}
	}
}

func TestParseJWS(t *testing.T) {
	t.Parallel()
	good := "eyJhbGciOiJSUzI1NiIsIng1dSI6Imh0dHBzOi8vc2VjdXJlLnRwYXkuY29tL3g1MDkvbm90aWZpY2F0aW9ucy1qd3MucGVtIn0..c2ln"
	j, err := parseJWS(good)
	if err != nil || j.header.Alg != "RS256" || j.header.X5U != "https://secure.tpay.com/x509/notifications-jws.pem" || string(j.signature) != "sig" {
		t.Fatalf("%+v, %v", j, err)
	}
	for _, bad := range []string{
		"", "   ", "a.b", "a.b.c.d", "..c2ln", good[:20] + "..", "!!!..c2ln", "eyJhIjoxfQ..", "bnVsbA..c2ln",
		"W10..c2ln", "eyJhbGciOiJSUzI1NiJ9e30..c2ln", "eyJhbGciOiJSUzI1NiJ9..!!",
		"eyJhbGciOiJSUzI1NiJ9fQ..c2ln", "eyJhbGciOiJSUzI1NiJ9XXg..c2ln", // {"alg":"RS256"}} and {"alg":"RS256"}]x: trailing data
	} {
		if _, err := parseJWS(bad); !errors.Is(err, getpaid.ErrSignatureInvalid) {
			t.Errorf("parseJWS(%q) = %v, want ErrSignatureInvalid", bad, err)
		}
	}
}
