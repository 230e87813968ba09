package transferuj_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/transferuj"
)

// The notification vector of brokers.md §3.4 [V] (django-getpaid 1.x's
// test), through the backend.
func TestNotificationVector(t *testing.T) {
	t.Parallel()
	b := newBroker(t, transferuj.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA"})
	body := "id=1234&tr_id=1&tr_date=2012-12-12+12%3A12%3A12&tr_crc=1&tr_amount=123.45&tr_paid=123.45&tr_desc=x&tr_status=TRUE&tr_error=none&tr_email=a%40b.pl&md5sum=21b028c2dbdcb9ca272d1cc67ed0574e"
	req := &getpaid.CallbackRequest{Body: []byte(body)}
	if err := b.VerifyCallback(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	o, err := b.ParseCallback(context.Background(), req)
	if err != nil || o.PaymentID != "1" || o.ExternalID != "1" || o.Kind != getpaid.KindCaptured || !o.Full ||
		o.Amount != getpaid.MustParseMoney("123.45", "PLN") || o.EventID != "1:TRUE:123.45" {
		t.Fatalf("%+v, %v", o, err)
	}
	other := newBroker(t, transferuj.Config{MerchantID: 1234, SecurityCode: "BBBBBBBB"})
	if _, err := other.ParseCallback(context.Background(), req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("another security code: %v", err)
	}
	stranger := newBroker(t, transferuj.Config{MerchantID: 4321, SecurityCode: "AAAAAAAA"})
	if _, err := stranger.ParseCallback(context.Background(), req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("another merchant's notification: %v", err)
	}
	if ct, ack := b.CallbackAck(); string(ack) != "TRUE" || ct == "" {
		t.Fatalf("ack %q", ack)
	}
}

// The legacy md5sum covers neither tr_status nor tr_paid: an edited replay
// of a genuine notification passes it. That is the protocol's weakness (the
// OpenAPI's JWS covers the whole body); ip_allowlist is the defence.
func TestMD5CoversNotStatusOrPaid(t *testing.T) {
	t.Parallel()
	b := newBroker(t, transferuj.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA", IPAllowlist: true})
	edited := "id=1234&tr_id=1&tr_crc=1&tr_amount=123.45&tr_paid=1.00&tr_status=CHARGEBACK&md5sum=21b028c2dbdcb9ca272d1cc67ed0574e"
	if _, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Body: []byte(edited)}); err != nil {
		t.Fatalf("the md5sum was expected to pass: %v", err)
	}
	for ip, ok := range map[string]bool{"195.149.229.109": true, "::ffff:176.119.38.175": true, "203.0.113.9": false, "": false, "x": false} {
		if got := b.AllowCallbackFrom(ip); got != ok {
			t.Errorf("AllowCallbackFrom(%q) = %v", ip, got)
		}
	}
	if open := newBroker(t, transferuj.Config{}); !open.AllowCallbackFrom("203.0.113.9") {
		t.Fatal("allowlist applied although ip_allowlist is off")
	}
}

// The legacy notification names no currency; the md5sum would not cover a
// tr_currency either. One added to a genuine notification is read as what
// it says, and the payment refuses it: it never passes as the account's.
func TestAddedCurrencyIsRefused(t *testing.T) {
	t.Parallel()
	b := newBroker(t, transferuj.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA"})
	body := "id=1234&tr_id=1&tr_crc=1&tr_amount=123.45&tr_paid=123.45&tr_status=TRUE&tr_currency=EUR&md5sum=21b028c2dbdcb9ca272d1cc67ed0574e"
	o, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	if o.Amount != getpaid.MustParseMoney("123.45", "EUR") {
		t.Fatalf("read as %s", o.Amount)
	}
	p := &getpaid.Payment{ID: "1", Status: getpaid.StatusPrepared, Amount: getpaid.MustParseMoney("123.45", "PLN")}
	if _, err := getpaid.Apply(p, o); !errors.Is(err, getpaid.ErrAmountMismatch) {
		t.Fatalf("applied to a PLN payment: %v", err)
	}
}
