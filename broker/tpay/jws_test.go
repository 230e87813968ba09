package tpay_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// notification registers a paid transaction at sim and returns its signed
// TRUE notification.
func notification(t *testing.T, sim *tpaytest.Server, b *tpay.Broker) *getpaid.CallbackRequest {
	t.Helper()
	p := prepared(t, b, getpaid.MustParseMoney("10.00", "PLN"))
	req, err := sim.Notification(p.ID, tpaynotify.StatusTrue, p.Amount)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// The signing certificate and the root are fetched once, from under the
// trusted prefix, and kept for two hours.
func TestCertificatesFetchedOnceAndCached(t *testing.T) {
	t.Parallel()
	sim, rec := recordedSim(t, tpaytest.Config{})
	clk := &clock{now: time.Now()}
	b := newBroker(t, sim, func(c *tpay.Config) { c.Now = clk.Now })
	for range 5 {
		if _, err := b.ParseCallback(context.Background(), notification(t, sim, b)); err != nil {
			t.Fatal(err)
		}
	}
	leaf, root := rec.requests(http.MethodGet, tpaytest.CertPath), rec.requests(http.MethodGet, tpay.RootCertPath)
	if len(leaf) != 1 || len(root) != 1 {
		t.Fatalf("fetched the certificate %d times, the root %d times; want once each", len(leaf), len(root))
	}
	clk.Add(2*time.Hour + time.Second)
	if _, err := b.ParseCallback(context.Background(), notification(t, sim, b)); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.requests(http.MethodGet, tpaytest.CertPath)); n != 2 {
		t.Fatalf("after two hours: %d fetches, want 2", n)
	}
}

// When Tpay rotates its signing certificate, a notification the cached one
// does not verify makes the backend fetch the certificates again, at most
// once a minute, so a stream of forged notifications cannot make it fetch
// without end.
func TestCertificateRotation(t *testing.T) {
	t.Parallel()
	sim, rec := recordedSim(t, tpaytest.Config{})
	clk := &clock{now: time.Now()}
	b := newBroker(t, sim, func(c *tpay.Config) { c.Now = clk.Now })
	if _, err := b.ParseCallback(context.Background(), notification(t, sim, b)); err != nil {
		t.Fatal(err)
	}
	own, _ := pkis(t)
	key, cert, err := own.Issue("notifications-jws rotated")
	if err != nil {
		t.Fatal(err)
	}
	sim.SetSigner(key, cert)
	req := notification(t, sim, b)
	if _, err := b.ParseCallback(context.Background(), req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("within a minute of the last fetch: %v, want ErrSignatureInvalid", err)
	}
	if n := len(rec.requests(http.MethodGet, tpaytest.CertPath)); n != 1 {
		t.Fatalf("%d fetches within a minute", n)
	}
	clk.Add(2 * time.Minute)
	if _, err := b.ParseCallback(context.Background(), req); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
	if n := len(rec.requests(http.MethodGet, tpaytest.CertPath)); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

// Each way a JWS can be wrong is refused with the reason; a certificate that
// cannot be fetched is a retryable broker error, not a bad signature.
func TestJWSRefusals(t *testing.T) {
	t.Parallel()
	sim, _ := recordedSim(t, tpaytest.Config{})
	b := newBroker(t, sim, nil)
	_, foreign := pkis(t)
	sim.ServeCert("/x509/foreign.pem", foreign.Cert)
	req := notification(t, sim, b)
	sign := func(key string, x5u string) *getpaid.CallbackRequest {
		k := foreign.Key
		if key == "own" {
			own, _ := pkis(t)
			k = own.Key
		}
		r, err := sim.SignWith(req, k, x5u)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name string
		req  *getpaid.CallbackRequest
		want string
	}{
		{"untrusted x5u", sign("foreign", "https://attacker.example/x509/notifications-jws.pem"), "not under the trusted prefix"},
		{"certificate not chaining to the root", sign("foreign", sim.URL()+"/x509/foreign.pem"), "does not chain to Tpay's root"},
		{"another key", sign("foreign", sim.URL()+tpaytest.CertPath), "does not match the body"},
		{"body swapped", func() *getpaid.CallbackRequest {
			c := *req
			c.Body = notification(t, sim, b).Body // a genuine body, md5sum right, JWS of another one
			return &c
		}(), "does not match the body"},
	}
	for _, tt := range tests {
		_, err := b.ParseCallback(context.Background(), tt.req)
		if !errors.Is(err, getpaid.ErrSignatureInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrSignatureInvalid: %s", tt.name, err, tt.want)
		}
	}
	_, err := b.ParseCallback(context.Background(), sign("own", sim.URL()+"/x509/missing.pem"))
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || !be.Retryable || errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("certificate not found: %v, want a retryable broker error", err)
	}
	// The genuine notification still verifies.
	if _, err := b.ParseCallback(context.Background(), req); err != nil {
		t.Fatal(err)
	}
}

// A backend trusting the production prefix refuses the simulator's
// certificates: jws_prefix is what decides.
func TestJWSPrefixDecides(t *testing.T) {
	t.Parallel()
	sim, rec := recordedSim(t, tpaytest.Config{})
	b := newBroker(t, sim, func(c *tpay.Config) { c.JWSPrefix = "" })
	if b.JWSPrefix() != tpay.ProductionJWSPrefix {
		t.Fatalf("default prefix %s", b.JWSPrefix())
	}
	req := notification(t, sim, newBroker(t, sim, nil))
	if _, err := b.ParseCallback(context.Background(), req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("simulator's JWS with the production prefix: %v", err)
	}
	if n := len(rec.requests(http.MethodGet, tpaytest.CertPath)); n != 0 {
		t.Fatalf("fetched %d certificates from an untrusted URL", n)
	}
}
