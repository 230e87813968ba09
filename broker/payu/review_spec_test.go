package payu_test

// Outside review: notifications signed by hand from PayU's documentation
// (developers.payu.com "Notifications": header OpenPayu-Signature =
// "sender=checkout;signature=<hex>;algorithm=<ALG>;content=DOCUMENT", the
// signature hex(ALG(raw body ‖ second key)); also sent as
// X-OpenPayU-Signature) and openpayu_php OpenPayU_Util::parseSignature
// (";"-separated "key=value" pairs, a trailing ";" trimmed). Nothing here
// uses the package's own signing helpers.

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
)

const reviewKey = "b6ca15b0d1020e8094d9b5f8d163db54" // PayU's public sandbox POS second key (brokers.md §1.2)

const reviewBody = `{"order":{"orderId":"LDLW5N7MF4140324GUEST000P01","extOrderId":"pay_review_1",` +
	`"orderCreateDate":"2012-12-31T12:00:00","notifyUrl":"http://tempuri.org/notify","customerIp":"127.0.0.1",` +
	`"merchantPosId":"300746","description":"My order description","currencyCode":"PLN","totalAmount":"200",` +
	`"buyer":{"email":"john.doe@example.org","phone":"111111111","firstName":"John","lastName":"Doe","language":"en"},` +
	`"payMethod":{"type":"PBL"},"products":[{"name":"Product 1","unitPrice":"200","quantity":"1"}],"status":"COMPLETED"},` +
	`"localReceiptDateTime":"2016-03-02T12:58:14.828+01:00","properties":[{"name":"PAYMENT_ID","value":"151471228"}]}`

func reviewHex(alg string, body []byte, key string) string {
	var sum []byte
	msg := append(append([]byte{}, body...), key...)
	switch alg {
	case "MD5":
		s := md5.Sum(msg)
		sum = s[:]
	case "SHA-1":
		s := sha1.Sum(msg)
		sum = s[:]
	case "SHA-256":
		s := sha256.Sum256(msg)
		sum = s[:]
	case "SHA-384":
		s := sha512.Sum384(msg)
		sum = s[:]
	case "SHA-512":
		s := sha512.Sum512(msg)
		sum = s[:]
	default:
		panic(alg)
	}
	return hex.EncodeToString(sum)
}

func reviewBroker(t *testing.T, strict bool) *payu.Broker {
	t.Helper()
	b, err := payu.New(payu.Config{PosID: "300746", SecondKey: reviewKey, ClientID: "300746",
		ClientSecret: "2ee86a66e5d97e3fadc400c9f19b065d", StrictSignatures: strict})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReviewHandSignedNotifications(t *testing.T) {
	t.Parallel()
	body := []byte(reviewBody)
	md5Sig := reviewHex("MD5", body, reviewKey)
	tests := []struct {
		name   string
		header string // header name
		value  string
		body   string // "" = reviewBody
		strict bool
		ok     bool
	}{
		{"documented MD5", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=MD5;content=DOCUMENT", "", false, true},
		{"X- header only", "X-OpenPayU-Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=MD5;content=DOCUMENT", "", false, true},
		{"lower-case header name", "openpayu-signature", "sender=checkout;signature=" + md5Sig + ";algorithm=MD5;content=DOCUMENT", "", false, true},
		{"reordered fields", "OpenPayu-Signature", "content=DOCUMENT;algorithm=MD5;signature=" + md5Sig + ";sender=checkout", "", false, true},
		{"trailing semicolon", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=MD5;content=DOCUMENT;", "", false, true},
		{"spaces after semicolons", "OpenPayu-Signature", "sender=checkout; signature=" + md5Sig + "; algorithm=MD5; content=DOCUMENT", "", false, true},
		{"extra unknown field", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=MD5;content=DOCUMENT;version=2.1", "", false, true},
		{"no sender no content", "OpenPayu-Signature", "signature=" + md5Sig + ";algorithm=MD5", "", false, true},
		{"SHA-256", "OpenPayu-Signature", "sender=checkout;signature=" + reviewHex("SHA-256", body, reviewKey) + ";algorithm=SHA-256;content=DOCUMENT", "", false, true},
		{"SHA256 spelling", "OpenPayu-Signature", "sender=checkout;signature=" + reviewHex("SHA-256", body, reviewKey) + ";algorithm=SHA256;content=DOCUMENT", "", false, true},
		{"SHA-384", "OpenPayu-Signature", "sender=checkout;signature=" + reviewHex("SHA-384", body, reviewKey) + ";algorithm=SHA-384;content=DOCUMENT", "", false, true},
		{"SHA-512", "OpenPayu-Signature", "sender=checkout;signature=" + reviewHex("SHA-512", body, reviewKey) + ";algorithm=SHA-512;content=DOCUMENT", "", false, true},
		{"SHA-256 strict", "OpenPayu-Signature", "sender=checkout;signature=" + reviewHex("SHA-256", body, reviewKey) + ";algorithm=SHA-256;content=DOCUMENT", "", true, true},

		{"MD5 strict refused", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=MD5;content=DOCUMENT", "", true, false},
		{"SHA-1 refused", "OpenPayu-Signature", "sender=checkout;signature=" + reviewHex("SHA-1", body, reviewKey) + ";algorithm=SHA-1;content=DOCUMENT", "", false, false},
		{"MD5 labelled SHA-256", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=SHA-256;content=DOCUMENT", "", false, false},
		{"unknown algorithm", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=CRC32;content=DOCUMENT", "", false, false},
		{"no algorithm", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig + ";content=DOCUMENT", "", false, false},
		{"empty header", "OpenPayu-Signature", "", "", false, false},
		{"other header only", "Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=MD5;content=DOCUMENT", "", false, false},
		{"amount tampered", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=MD5;content=DOCUMENT",
			strings.Replace(reviewBody, `"totalAmount":"200"`, `"totalAmount":"100"`, 1), false, false},
		{"status tampered", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=MD5;content=DOCUMENT",
			strings.Replace(reviewBody, `"COMPLETED"`, `"CANCELED"`, 1), false, false},
		{"whitespace appended to body", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig + ";algorithm=MD5;content=DOCUMENT", reviewBody + "\n", false, false},
		{"another key", "OpenPayu-Signature", "sender=checkout;signature=" + reviewHex("MD5", body, "0c017495773278c50c7b35434017b2ca") + ";algorithm=MD5;content=DOCUMENT", "", false, false},
		{"truncated signature", "OpenPayu-Signature", "sender=checkout;signature=" + md5Sig[:30] + ";algorithm=MD5;content=DOCUMENT", "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := reviewBroker(t, tc.strict)
			raw := reviewBody
			if tc.body != "" {
				raw = tc.body
			}
			h := http.Header{}
			h[tc.header] = []string{tc.value} // as sent, not canonicalised
			obs, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Body: []byte(raw)})
			if !tc.ok {
				if !errors.Is(err, getpaid.ErrSignatureInvalid) {
					t.Fatalf("accepted or wrong error: obs=%+v err=%v", obs, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if obs.Kind != getpaid.KindCaptured || obs.PaymentID != "pay_review_1" || obs.ExternalID != "LDLW5N7MF4140324GUEST000P01" ||
				obs.Amount != (getpaid.Money{Minor: 200, Currency: "PLN"}) {
				t.Fatalf("mapped to %+v", obs)
			}
		})
	}
}

// A refund notification as PayU's Refunds page shows it: no extRefundId,
// amount a string, status FINALIZED or CANCELED.
func TestReviewHandSignedRefundNotification(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status string
		kind   getpaid.Kind
	}{{"FINALIZED", getpaid.KindRefunded}, {"CANCELED", getpaid.KindRefundFailed}} {
		t.Run(tc.status, func(t *testing.T) {
			t.Parallel()
			body := []byte(`{"orderId":"2DVZMPMFPN140219GUEST000P01","extOrderId":"pay_review_2","refund":{"refundId":"912128",` +
				`"amount":"15516","currencyCode":"PLN","status":"` + tc.status + `","statusDateTime":"2014-08-20T19:43:38.511+02:00",` +
				`"reason":"refund","reasonDescription":"on customer's request","refundDate":"2014-08-20T19:43:38.511+02:00"}}`)
			h := http.Header{}
			h["OpenPayu-Signature"] = []string{"sender=checkout;signature=" + reviewHex("MD5", body, reviewKey) + ";algorithm=MD5;content=DOCUMENT"}
			obs, err := reviewBroker(t, false).ParseCallback(context.Background(), &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			if obs.Kind != tc.kind || obs.PaymentID != "pay_review_2" || obs.ExternalID != "2DVZMPMFPN140219GUEST000P01" ||
				obs.BrokerRef != "912128" || obs.Amount != (getpaid.Money{Minor: 15516, Currency: "PLN"}) {
				t.Fatalf("mapped to %+v", obs)
			}
		})
	}
}
