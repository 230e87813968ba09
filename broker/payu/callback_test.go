package payu

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

const testKey = "b6ca15b0d1020e8094d9b5f8d163db54"

// signed returns a callback request carrying body signed like PayU.
func signed(t *testing.T, body, alg, headerName string) *getpaid.CallbackRequest {
	t.Helper()
	sig, err := Sign(alg, []byte(body), testKey)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(headerName, "sender=checkout;signature="+sig+";algorithm="+alg+";content=DOCUMENT")
	return &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Body: []byte(body)}
}

func orderBody(status, amount, currency string) string {
	return `{"order":{"orderId":"WZGF5FFDRJ140731GUEST000P01","extOrderId":"pay_1","currencyCode":"` + currency +
		`","totalAmount":"` + amount + `","status":"` + status + `","products":[{"name":"x","unitPrice":"` + amount +
		`","quantity":"1"}]},"localReceiptDateTime":"2026-11-26T01:00:00.000+01:00","properties":[{"name":"PAYMENT_ID","value":"72829425"}]}`
}

func TestParseCallbackMapping(t *testing.T) {
	t.Parallel()
	b, _ := New(validConfig())
	tests := []struct {
		name  string
		body  string
		kind  getpaid.Kind
		full  bool
		event string
		minor int64
	}{
		{"NEW is nothing new", orderBody("NEW", "1000", "PLN"), getpaid.KindNone, false, "WZGF5FFDRJ140731GUEST000P01:NEW", 1000},
		{"PENDING", orderBody("PENDING", "1000", "PLN"), getpaid.KindPending, false, "WZGF5FFDRJ140731GUEST000P01:PENDING", 1000},
		{"WAITING_FOR_CONFIRMATION locks the total", orderBody("WAITING_FOR_CONFIRMATION", "1000", "PLN"), getpaid.KindLocked, false, "WZGF5FFDRJ140731GUEST000P01:WAITING_FOR_CONFIRMATION", 1000},
		{"COMPLETED captures totalAmount", orderBody("COMPLETED", "15000", "PLN"), getpaid.KindCaptured, false, "WZGF5FFDRJ140731GUEST000P01:COMPLETED", 15000},
		{"CANCELED fails", orderBody("CANCELED", "1000", "PLN"), getpaid.KindFailed, false, "WZGF5FFDRJ140731GUEST000P01:CANCELED", 1000},
		{"REJECTED fails", orderBody("REJECTED", "1000", "PLN"), getpaid.KindFailed, false, "WZGF5FFDRJ140731GUEST000P01:REJECTED", 1000},
		{"HUF x100", orderBody("COMPLETED", "1000", "HUF"), getpaid.KindCaptured, false, "WZGF5FFDRJ140731GUEST000P01:COMPLETED", 1000},
		{"refund FINALIZED", `{"orderId":"O1","extOrderId":"pay_1","refund":{"refundId":"5000000142","amount":"400","currencyCode":"PLN","status":"FINALIZED","statusDateTime":"2026-11-26T01:00:00.000+01:00","reason":"refund","reasonDescription":"r","refundDate":"2026-11-26T00:59:00.000+01:00"}}`, getpaid.KindRefunded, false, "refund:5000000142:FINALIZED", 400},
		{"refund CANCELED", `{"orderId":"O1","extOrderId":"pay_1","refund":{"refundId":"5000000142","amount":"400","currencyCode":"PLN","status":"CANCELED"}}`, getpaid.KindRefundFailed, false, "refund:5000000142:CANCELED", 400},
		{"unknown order status is nothing, unrecognized", orderBody("PAID", "1000", "PLN"), getpaid.KindNone, false, "WZGF5FFDRJ140731GUEST000P01:PAID", 1000},
		{"unknown refund status is nothing, unrecognized", `{"orderId":"O1","extOrderId":"pay_1","refund":{"refundId":"5000000142","amount":"400","currencyCode":"PLN","status":"REVERSED"}}`, getpaid.KindNone, false, "refund:5000000142:REVERSED", 400},
		{"refund PENDING is nothing new", `{"orderId":"O1","extOrderId":"pay_1","refund":{"refundId":"5000000142","amount":"400","currencyCode":"PLN","status":"PENDING"}}`, getpaid.KindNone, false, "refund:5000000142:PENDING", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := b.ParseCallback(context.Background(), signed(t, tc.body, "SHA-256", HeaderSignature))
			if err != nil {
				t.Fatal(err)
			}
			unknown := strings.HasPrefix(tc.name, "unknown")
			if o.Kind != tc.kind || o.Full != tc.full || o.EventID != tc.event || o.Amount.Minor != tc.minor || o.PaymentID != "pay_1" || o.ExternalID == "" || o.Unrecognized != unknown {
				t.Fatalf("got %+v", o)
			}
		})
	}
}

func TestParseCallbackRefused(t *testing.T) {
	t.Parallel()
	b, _ := New(validConfig())
	good := orderBody("COMPLETED", "1000", "PLN")
	noHeader := signed(t, good, "SHA-256", HeaderSignature)
	noHeader.Header = http.Header{}
	emptyHeader := signed(t, good, "SHA-256", HeaderSignature)
	emptyHeader.Header.Set(HeaderSignature, "")
	noBody := signed(t, good, "SHA-256", HeaderSignature)
	noBody.Body = nil
	tampered := signed(t, good, "SHA-256", HeaderSignature)
	tampered.Body = []byte(orderBody("COMPLETED", "9000", "PLN"))
	tests := []struct {
		name string
		req  *getpaid.CallbackRequest
		want error
	}{
		{"missing header", noHeader, getpaid.ErrSignatureInvalid},
		{"empty header", emptyHeader, getpaid.ErrSignatureInvalid},
		{"missing body", noBody, getpaid.ErrSignatureInvalid},
		{"tampered body", tampered, getpaid.ErrSignatureInvalid},
		{"SHA-1", signed(t, good, "SHA-1", HeaderSignature), getpaid.ErrSignatureInvalid},
		{"malformed JSON", signed(t, `{"order":`, "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"trailing data", signed(t, good+"{}", "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"trailing brace", signed(t, good+"}", "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"trailing bracket and text", signed(t, good+"]garbage", "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"no status", signed(t, `{"order":{"orderId":"O1","totalAmount":"1","currencyCode":"PLN"}}`, "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"neither order nor refund", signed(t, `{"foo":1}`, "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"decimal amount", signed(t, orderBody("COMPLETED", "10.00", "PLN"), "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"negative amount", signed(t, orderBody("COMPLETED", "-1000", "PLN"), "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"overflowing amount", signed(t, orderBody("COMPLETED", "99999999999999999999", "PLN"), "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"unknown currency", signed(t, orderBody("COMPLETED", "1000", "ABC"), "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"number amount", signed(t, `{"order":{"orderId":"O1","status":"COMPLETED","totalAmount":1000,"currencyCode":"PLN"}}`, "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
		{"refund without id", signed(t, `{"orderId":"O1","refund":{"amount":"1","currencyCode":"PLN","status":"FINALIZED"}}`, "SHA-256", HeaderSignature), getpaid.ErrMalformedCallback},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := b.ParseCallback(context.Background(), tc.req); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseCallbackHeaders(t *testing.T) {
	t.Parallel()
	body := orderBody("COMPLETED", "1000", "PLN")
	yes, no := true, false
	tests := []struct {
		name   string
		req    *getpaid.CallbackRequest
		edit   func(*Config)
		strict bool
		ok     bool
	}{
		{"X- header alone", signed(t, body, "SHA-256", HeaderXSignature), nil, false, true},
		{"lower-case header name", signed(t, body, "SHA-512", "openpayu-signature"), nil, false, true},
		{"MD5 by default", signed(t, body, "MD5", HeaderSignature), nil, false, true},
		{"MD5 with the old allow_md5: true", signed(t, body, "MD5", HeaderSignature), func(c *Config) { c.AllowMD5 = &yes }, false, true},
		{"MD5 refused with strict_signatures", signed(t, body, "MD5", HeaderSignature), func(c *Config) { c.StrictSignatures = true }, true, false},
		{"MD5 refused with the old allow_md5: false", signed(t, body, "MD5", HeaderSignature), func(c *Config) { c.AllowMD5 = &no }, true, false},
		{"SHA-256 with strict_signatures", signed(t, body, "SHA-256", HeaderSignature), func(c *Config) { c.StrictSignatures = true }, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			b, _ := New(cfg)
			if b.StrictSignatures() != tc.strict {
				t.Errorf("StrictSignatures() = %v, want %v", b.StrictSignatures(), tc.strict)
			}
			_, err := b.ParseCallback(context.Background(), tc.req)
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok && !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Fatalf("err = %v, want ErrSignatureInvalid", err)
			}
		})
	}
}

// TestCanceledOutcomes checks the CANCELED mapping against getpaid.Apply: an
// unpaid order fails; a hold released through Release is cancelled and the
// late CANCELED notification changes nothing.
func TestCanceledOutcomes(t *testing.T) {
	t.Parallel()
	b, _ := New(validConfig())
	canceled, err := b.ParseCallback(context.Background(), signed(t, orderBody("CANCELED", "1000", "PLN"), "SHA-256", HeaderSignature))
	if err != nil {
		t.Fatal(err)
	}
	unpaid := &getpaid.Payment{ID: "pay_1", Status: getpaid.StatusPrepared, Amount: getpaid.MustParseMoney("10", "PLN")}
	if _, err := getpaid.Apply(unpaid, canceled); err != nil || unpaid.Status != getpaid.StatusFailed {
		t.Fatalf("unpaid: %v %s", err, unpaid.Status)
	}
	held := &getpaid.Payment{ID: "pay_1", Status: getpaid.StatusPreAuth, Locked: 1000, Amount: getpaid.MustParseMoney("10", "PLN")}
	released := &getpaid.Observation{Kind: getpaid.KindReleased, Amount: held.Money(0)} // what Release returns
	if _, err := getpaid.Apply(held, released); err != nil || held.Status != getpaid.StatusCancelled {
		t.Fatalf("release: %v %s", err, held.Status)
	}
	if changed, err := getpaid.Apply(held, canceled); changed || err != nil || held.Status != getpaid.StatusCancelled {
		t.Fatalf("late CANCELED: %v %v %s", changed, err, held.Status)
	}
}

func TestParseCallbackNonCanonicalHeaderKey(t *testing.T) {
	t.Parallel()
	b, _ := New(validConfig())
	req := signed(t, orderBody("COMPLETED", "1000", "PLN"), "SHA-256", HeaderSignature)
	v := req.Header.Get(HeaderSignature)
	req.Header = http.Header{"OpenPayu-Signature": {v}} // as a hand-built map, not canonicalised
	if _, err := b.ParseCallback(context.Background(), req); err != nil {
		t.Fatal(err)
	}
}

// Until PayU completes an order its totalAmount is the amount getpaid
// created it with: a hold (or any other state) of an order of another
// amount is not the payment's, and is refused; a COMPLETED one of less is
// what a partial capture of a hold took (see the package doc), and is
// refused while the payment holds nothing and has captured nothing.
func TestOrderOfAnotherAmountRefused(t *testing.T) {
	t.Parallel()
	b, _ := New(validConfig())
	pay := func(held bool) *getpaid.Payment {
		p := &getpaid.Payment{ID: "pay_1", Status: getpaid.StatusPrepared, Amount: getpaid.MustParseMoney("10.00", "PLN")}
		if held {
			p.Status, p.Locked = getpaid.StatusPreAuth, 1000
		}
		return p
	}
	for _, tc := range []struct {
		status, amount string
		held, refused  bool
	}{
		{"WAITING_FOR_CONFIRMATION", "500", false, true},
		{"WAITING_FOR_CONFIRMATION", "1000", false, false},
		{"PENDING", "999", false, true},
		{"CANCELED", "2000", false, true},
		{"COMPLETED", "500", true, false},
		{"COMPLETED", "500", false, true},
		{"COMPLETED", "1000", false, false},
	} {
		o, err := b.ParseCallback(context.Background(), signed(t, orderBody(tc.status, tc.amount, "PLN"), "SHA-256", HeaderSignature))
		if err != nil {
			t.Fatal(err)
		}
		_, err = getpaid.Apply(pay(tc.held), o)
		if refused := errors.Is(err, getpaid.ErrAmountMismatch); refused != tc.refused {
			t.Errorf("%s of %s on a payment of 10.00 (held %v): Apply err %v, want refused %v", tc.status, tc.amount, tc.held, err, tc.refused)
		}
	}
}
