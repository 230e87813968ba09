package payu

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzParseNotification: any body either maps to a consistent observation or
// fails with ErrMalformedCallback; it never panics.
func FuzzParseNotification(f *testing.F) {
	f.Add([]byte(orderBody("COMPLETED", "15000", "PLN")))
	f.Add([]byte(`{"orderId":"O1","extOrderId":"p","refund":{"refundId":"5","amount":"400","currencyCode":"PLN","status":"FINALIZED"}}`))
	f.Add([]byte(`{"order":{"orderId":"O1","status":"WAITING_FOR_CONFIRMATION","totalAmount":"1","currencyCode":"HUF"}}`))
	f.Add([]byte(`{"order":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := ParseNotification(body)
		if err != nil {
			if !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("error does not wrap ErrMalformedCallback: %v", err)
			}
			return
		}
		if o.EventID == "" || o.ExternalID == "" || o.Amount.Minor < 0 || !getpaid.KnownCurrency(o.Amount.Currency) {
			t.Fatalf("inconsistent observation %+v", o)
		}
	})
}

// FuzzVerifyNotification: header parsing and verification never panic, and
// every refusal wraps ErrSignatureInvalid; a header that verifies, under
// either policy, carries the real digest (Sign of the body with its
// algorithm gives its signature back), of an algorithm the policy allows
// (never SHA-1; not MD5 when strict).
func FuzzVerifyNotification(f *testing.F) {
	body := []byte(`{"order":{"status":"COMPLETED"}}`)
	sig, _ := Sign("SHA-256", body, testKey)
	f.Add("sender=checkout;signature="+sig+";algorithm=SHA-256;content=DOCUMENT", body)
	f.Add("signature=;algorithm=", body)
	f.Add(";;==;signature=00;algorithm=MD5", []byte("x"))
	f.Add("sender=checkout;signature=8375034eb737d520c829fad4026a38aa;algorithm=md5", []byte("OpenPayUData"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if h, err := ParseSignatureHeader(header); err == nil && (h.Signature == "" || h.Algorithm == "") {
			t.Fatalf("parsed header lacks parts: %+v", h)
		} else if err != nil && !errors.Is(err, getpaid.ErrSignatureInvalid) {
			t.Fatalf("parse error does not wrap ErrSignatureInvalid: %v", err)
		}
		for _, policy := range []Policy{PolicyPayU, PolicyStrict} {
			err := VerifyNotification(body, header, testKey, policy)
			if err != nil {
				if !errors.Is(err, getpaid.ErrSignatureInvalid) {
					t.Fatalf("error does not wrap ErrSignatureInvalid: %v", err)
				}
				continue
			}
			// What verifies re-signs the same, with an allowed algorithm.
			h, _ := ParseSignatureHeader(header)
			alg, _ := canonicalAlg(h.Algorithm)
			want, serr := Sign(h.Algorithm, body, testKey)
			if serr != nil || !strings.EqualFold(h.Signature, want) || alg == AlgSHA1 || (policy == PolicyStrict && alg == AlgMD5) {
				t.Fatalf("header %q verified body %q under policy %d: PayU's signature is %s %q", header, body, policy, h.Algorithm, want)
			}
		}
	})
}

// FuzzParseAmount: an accepted amount formats back to the same digits
// (modulo leading zeros) and is never negative.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1000", "0", "007", "999999999999999999", "-1", "1.5", "1e3"} {
		f.Add(s, "PLN")
	}
	f.Add("1000", "HUF")
	f.Add("1000", "JPY")
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, err := ParseAmount(s, currency)
		if err != nil {
			return
		}
		back, err := FormatAmount(m)
		if err != nil || m.Minor < 0 {
			t.Fatalf("%q %s -> %v -> %q, %v", s, currency, m, back, err)
		}
		if again, err := ParseAmount(back, currency); err != nil || again != m {
			t.Fatalf("round trip %q -> %v", back, again)
		}
	})
}

// FuzzParseRefundList: PayU's refund list in any shape either parses or
// fails with an error; it never panics, and what parses keeps its entries.
func FuzzParseRefundList(f *testing.F) {
	f.Add([]byte(`[{"refundId":"5000000142","extRefundId":"op_a","amount":"100","currencyCode":"PLN","status":"PENDING"}]`))
	f.Add([]byte(`{"refunds":[{"refundId":"5000000142","extRefundId":"op_a","amount":"100","currencyCode":"PLN","status":"FINALIZED"}]}`))
	f.Add([]byte(`{"refunds":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		list, err := parseRefundList(body)
		if err != nil {
			return
		}
		for _, r := range list {
			if _, err := refundFact("pay_1", "O1", &r); err != nil && !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("unclassified error: %v", err)
			}
		}
	})
}

// FuzzParseOrder: PayU's retrieve answer in any shape (the documented one,
// tampered, cut short) gives the order or a *getpaid.BrokerError; it never
// panics, and nothing not PayU's is read as an order.
func FuzzParseOrder(f *testing.F) {
	f.Add([]byte(`{"orders":[{"orderId":"WZHF5FFDRJ140731GUEST000P01","extOrderId":"pay_1","totalAmount":"1000","currencyCode":"PLN","status":"COMPLETED"}],"properties":[{"name":"PAYMENT_ID","value":"1"}]}`))
	f.Add([]byte(`{"orders":[{"orderId":"O1","totalAmount":"1000","currencyCode":"PLN","status":"PENDING"}],"status":{"statusCode":"SUCCESS"}}`))
	f.Add([]byte(`{"orders":[{"orderId":"O1","totalAmount":"10`))
	f.Add([]byte(`{"orders":[]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`<html>502 Bad Gateway</html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := parseOrder("fuzz", body)
		var be *getpaid.BrokerError
		switch {
		case err == nil && o == nil:
			t.Fatal("no order and no error")
		case err != nil && !errors.As(err, &be):
			t.Fatalf("unclassified error: %v", err)
		case err == nil && !json.Valid(body):
			t.Fatalf("an order read from an answer that is not JSON: %q", body)
		}
	})
}
