package transferuj_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/transferuj"
	"github.com/getpaid-go/getpaid/broker/transferuj/transferujtest"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

var (
	testPKI    = sync.OnceValues(tpaynotify.NewPKI)
	foreignPKI = sync.OnceValues(tpaynotify.NewPKI)
)

// startSim runs a simulator with the shared test PKI.
func startSim(t *testing.T, cfg transferujtest.Config) *transferujtest.Server {
	t.Helper()
	pki, err := testPKI()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PKI = pki
	sim := transferujtest.Start(cfg)
	t.Cleanup(sim.Close)
	return sim
}

// vector is the notification of brokers.md §3.4 [V] (django-getpaid 1.x's
// test: merchant 1234, security code AAAAAAAA), with the JWS of a simulator
// standing in for Tpay's certificates, and a backend trusting it.
func vector(t *testing.T, body string) (*transferuj.Broker, *transferujtest.Server, *getpaid.CallbackRequest) {
	t.Helper()
	sim := startSim(t, transferujtest.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA"})
	req, err := sim.Signed([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return newBroker(t, transferuj.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA", JWSPrefix: sim.URL()}), sim, req
}

const vectorBody = "id=1234&tr_id=1&tr_date=2012-12-12+12%3A12%3A12&tr_crc=1&tr_amount=123.45&tr_paid=123.45&tr_desc=x&tr_status=TRUE&tr_error=none&tr_email=a%40b.pl&md5sum=21b028c2dbdcb9ca272d1cc67ed0574e"

// The notification vector of brokers.md §3.4 [V] through the backend: the
// md5sum binds it to the merchant's security code and id.
func TestNotificationVector(t *testing.T) {
	t.Parallel()
	b, sim, req := vector(t, vectorBody)
	if err := b.VerifyCallback(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	o, err := b.ParseCallback(context.Background(), req)
	if err != nil || o.PaymentID != "1" || o.ExternalID != "1" || o.Kind != getpaid.KindCaptured || !o.Full ||
		o.Amount != getpaid.MustParseMoney("123.45", "PLN") || o.EventID != "1:TRUE:123.45" {
		t.Fatalf("%+v, %v", o, err)
	}
	other := newBroker(t, transferuj.Config{MerchantID: 1234, SecurityCode: "BBBBBBBB", JWSPrefix: sim.URL()})
	if _, err := other.ParseCallback(context.Background(), req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("another security code: %v", err)
	}
	stranger := newBroker(t, transferuj.Config{MerchantID: 4321, SecurityCode: "AAAAAAAA", JWSPrefix: sim.URL()})
	if _, err := stranger.ParseCallback(context.Background(), req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("another merchant's notification: %v", err)
	}
	if ct, ack := b.CallbackAck(); string(ack) != "TRUE" || ct == "" {
		t.Fatalf("ack %q", ack)
	}
}

// The legacy md5sum covers neither tr_status, tr_paid, tr_error nor
// tr_currency: a genuine notification edited there passes it. Tpay signs the
// whole body with its JWS as well, so every edit of a notification carrying
// it, and one with a JWS Tpay's root did not issue, is refused, whatever the
// sender's address.
func TestEditedNotificationRefused(t *testing.T) {
	t.Parallel()
	underpaid := strings.NewReplacer("tr_paid=123.45", "tr_paid=1.00", "tr_status=TRUE", "tr_status=FALSE",
		"tr_error=none", "tr_error=surcharge").Replace(vectorBody)
	b, sim, genuine := vector(t, underpaid)
	if o, err := b.ParseCallback(context.Background(), genuine); err != nil || o.Kind != getpaid.KindAdvance {
		t.Fatalf("the genuine underpayment: %+v, %v", o, err)
	}
	foreign, err := foreignPKI()
	if err != nil {
		t.Fatal(err)
	}
	edited := func(from, to string) *getpaid.CallbackRequest {
		c := *genuine
		c.Body = []byte(strings.Replace(string(genuine.Body), from, to, 1))
		if string(c.Body) == string(genuine.Body) {
			t.Fatalf("%q is not in the body", from)
		}
		return &c
	}
	withJWS := func(v string) *getpaid.CallbackRequest {
		c := *genuine
		c.Header = genuine.Header.Clone()
		c.Header.Set(tpaynotify.SignatureHeader, v)
		return &c
	}
	forged, err := tpaynotify.SignJWS(foreign.Key, sim.URL()+transferujtest.CertPath, genuine.Body)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]*getpaid.CallbackRequest{
		"FALSE made TRUE, paid in full": edited("tr_paid=1.00&tr_desc=x&tr_status=FALSE&tr_error=surcharge",
			"tr_paid=123.45&tr_desc=x&tr_status=TRUE&tr_error=none"),
		"FALSE made CHARGEBACK": edited("tr_status=FALSE", "tr_status=CHARGEBACK"),
		"tr_paid raised":        edited("tr_paid=1.00", "tr_paid=123.45"),
		"tr_currency added":     edited("&md5sum", "&tr_currency=EUR&md5sum"),
		"JWS of another key":    withJWS(forged),
	}
	for name, req := range tests {
		if _, err := b.ParseCallback(context.Background(), req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
			t.Errorf("%s: %v, want ErrSignatureInvalid", name, err)
		}
		if err := b.VerifyCallback(context.Background(), req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
			t.Errorf("%s: VerifyCallback: %v, want ErrSignatureInvalid", name, err)
		}
	}
}

// The legacy Transferuj notification is signed by its md5sum alone, and a
// backend takes it so by default (issue 13, brokers.md §3.3: "md5sum field +
// IP allowlist"); require_jws refuses one without Tpay's JWS, so that one
// edited where the md5sum does not look, the JWS stripped, is refused too.
// A JWS a notification carries is checked either way.
func TestNotificationWithoutJWS(t *testing.T) {
	t.Parallel()
	_, sim, genuine := vector(t, vectorBody)
	bare := *genuine
	bare.Header = genuine.Header.Clone()
	bare.Header.Del(tpaynotify.SignatureHeader)
	failed := bare
	failed.Body = []byte(strings.Replace(string(bare.Body), "tr_status=TRUE", "tr_status=FALSE", 1))
	garbled := *genuine
	garbled.Header = genuine.Header.Clone()
	garbled.Header.Set(tpaynotify.SignatureHeader, "e30..c2ln")
	edit := func(r *getpaid.CallbackRequest, from, to string) *getpaid.CallbackRequest {
		c := *r
		c.Body = []byte(strings.Replace(string(r.Body), from, to, 1))
		return &c
	}
	cut := func(r *getpaid.CallbackRequest, at string) *getpaid.CallbackRequest {
		c := *r
		c.Body = r.Body[:strings.Index(string(r.Body), at)]
		return &c
	}
	lenient := newBroker(t, transferuj.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA", JWSPrefix: sim.URL()})
	strict := newBroker(t, transferuj.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA", JWSPrefix: sim.URL(), RequireJWS: true})
	if lenient.RequiresJWS() || !strict.RequiresJWS() {
		t.Fatalf("RequiresJWS: %v, %v", lenient.RequiresJWS(), strict.RequiresJWS())
	}
	for _, tc := range []struct {
		name string
		b    *transferuj.Broker
		req  *getpaid.CallbackRequest
		ok   bool
		kind getpaid.Kind
	}{
		{"md5sum alone", lenient, &bare, true, getpaid.KindCaptured},
		{"md5sum alone, FALSE", lenient, &failed, true, getpaid.KindFailed},
		{"md5sum alone, require_jws", strict, &bare, false, ""},
		{"FALSE without the JWS, require_jws", strict, &failed, false, ""},
		{"a JWS that does not verify", lenient, &garbled, false, ""},
		{"a JWS that does not verify, require_jws", strict, &garbled, false, ""},
		{"the JWS, require_jws", strict, genuine, true, getpaid.KindCaptured},
		{"md5sum alone, tr_amount edited", lenient, edit(&bare, "tr_amount=123.45", "tr_amount=923.45"), false, ""},
		{"md5sum alone, tr_crc edited", lenient, edit(&bare, "tr_crc=1", "tr_crc=2"), false, ""},
		{"md5sum alone, cut before its md5sum", lenient, cut(&bare, "&md5sum="), false, ""},
		{"md5sum alone, md5sum cut short", lenient, cut(&bare, "0574e"), false, ""},
	} {
		o, err := tc.b.ParseCallback(context.Background(), tc.req)
		verr := tc.b.VerifyCallback(context.Background(), tc.req)
		switch {
		case tc.ok && (err != nil || verr != nil || o.Kind != tc.kind):
			t.Errorf("%s: %+v, %v, %v; want %s", tc.name, o, err, verr, tc.kind)
		case !tc.ok && (!refused(err) || !refused(verr)):
			t.Errorf("%s: %v, %v; want ErrSignatureInvalid (or ErrMalformedCallback, cut)", tc.name, err, verr)
		}
	}
}

// A backend trusting Tpay's production prefix (the default) refuses a
// simulator's JWS without fetching anything from it.
func TestJWSPrefixDecides(t *testing.T) {
	t.Parallel()
	_, _, req := vector(t, vectorBody)
	b := newBroker(t, transferuj.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA"})
	if _, err := b.ParseCallback(context.Background(), req); !errors.Is(err, getpaid.ErrSignatureInvalid) ||
		!strings.Contains(err.Error(), "not under the trusted prefix https://secure.tpay.com") {
		t.Fatalf("simulator's JWS with the production prefix: %v", err)
	}
}

// ip_allowlist, off by default, accepts only the legacy SDKs' addresses.
func TestIPAllowlist(t *testing.T) {
	t.Parallel()
	b := newBroker(t, transferuj.Config{IPAllowlist: true})
	for ip, ok := range map[string]bool{"195.149.229.109": true, "::ffff:176.119.38.175": true, "203.0.113.9": false, "": false, "x": false} {
		if got := b.AllowCallbackFrom(ip); got != ok {
			t.Errorf("AllowCallbackFrom(%q) = %v", ip, got)
		}
	}
	if open := newBroker(t, transferuj.Config{}); !open.AllowCallbackFrom("203.0.113.9") {
		t.Fatal("allowlist applied although ip_allowlist is off")
	}
}

// refused reports whether err refuses a notification: a bad signature, or a
// body that cannot be read.
func refused(err error) bool {
	return errors.Is(err, getpaid.ErrSignatureInvalid) || errors.Is(err, getpaid.ErrMalformedCallback)
}

// IsNotificationSource tells the legacy SDKs' addresses whatever
// ip_allowlist says (the HTTP layer never blocks them for refused
// callbacks).
func TestIsNotificationSource(t *testing.T) {
	t.Parallel()
	for _, allowlist := range []bool{false, true} {
		b := newBroker(t, transferuj.Config{IPAllowlist: allowlist})
		for ip, want := range map[string]bool{"195.149.229.109": true, "::ffff:176.119.38.175": true, " 46.29.19.106 ": true,
			"46.29.19.107": false, "203.0.113.9": false, "": false, "x": false} {
			if got := b.IsNotificationSource(ip); got != want {
				t.Errorf("allowlist %v: IsNotificationSource(%q) = %v, want %v", allowlist, ip, got, want)
			}
		}
	}
}
