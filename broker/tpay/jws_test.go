package tpay_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http"
	"strconv"
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
	// An x5u the sender chose that serves no certificate (404) is no
	// signature: refused as one, so that the sender's address is counted
	// and slowed down like any forger's, not answered 503 (retry) without
	// end, each try making getpaid fetch another URL from Tpay's host.
	for i := range 3 {
		_, err := b.ParseCallback(context.Background(), sign("own", sim.URL()+"/x509/missing-"+strconv.Itoa(i)+".pem"))
		var be *getpaid.BrokerError
		if !errors.Is(err, getpaid.ErrSignatureInvalid) || errors.As(err, &be) || !strings.Contains(err.Error(), "serves no certificate") {
			t.Fatalf("certificate not found: %v, want ErrSignatureInvalid: serves no certificate", err)
		}
	}
	// A JSON notification (no md5sum to check first) is refused the same way.
	jsonReq, err := sim.SignWith(&getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header{}, Body: []byte(`{"type":"tokenization"}`)},
		func() *rsa.PrivateKey { own, _ := pkis(t); return own.Key }(), sim.URL()+"/x509/missing-json.pem")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ParseCallback(context.Background(), jsonReq); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("JSON notification with an x5u serving nothing: %v, want ErrSignatureInvalid", err)
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

// The certificate check is the one Tpay documents (openssl_x509_verify: the
// root's key signed the signing certificate), not a full X.509 path
// validation: a root without the CA flag and a signing certificate past its
// dates, as Tpay's own example accepts them, still verify; a certificate
// the root did not sign does not.
func TestCertificateCheckIsTpays(t *testing.T) {
	t.Parallel()
	rootKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().AddDate(-2, 0, 0)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "plain root"},
		NotBefore: past, NotAfter: past.AddDate(10, 0, 0)}
	root := mint(t, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "expired leaf"},
		NotBefore: past, NotAfter: past.AddDate(1, 0, 0)}
	leaf := mint(t, leafTmpl, root, &leafKey.PublicKey, rootKey)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: poolOf(root)}); err == nil {
		t.Fatal("the test's chain passes a full path validation; it must not, to show the difference")
	}
	sim, _ := recordedSim(t, tpaytest.Config{PKI: &tpaytest.PKI{RootKey: rootKey, Root: root, Key: leafKey, Cert: leaf}})
	b := newBroker(t, sim, nil)
	if _, err := b.ParseCallback(context.Background(), notification(t, sim, b)); err != nil {
		t.Fatalf("a notification signed as Tpay's documented check accepts: %v", err)
	}
	_, foreign := pkis(t)
	sim.ServeCert("/x509/foreign.pem", foreign.Cert)
	forged, err := sim.SignWith(notification(t, sim, b), foreign.Key, sim.URL()+"/x509/foreign.pem")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ParseCallback(context.Background(), forged); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("a certificate the root did not sign: %v, want ErrSignatureInvalid", err)
	}
}

// mint issues tmpl for pub, signed by signer as parent.
func mint(t *testing.T, tmpl, parent *x509.Certificate, pub *rsa.PublicKey, signer *rsa.PrivateKey) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func poolOf(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}
