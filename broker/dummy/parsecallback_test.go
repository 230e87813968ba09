package dummy_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// TestParseCallback reads signed callbacks of every status, and refuses
// every one whose signature is missing, malformed, made with another
// secret, or differs in its last digit: the dummy is what the README's
// first hour and the acceptance tests run, and no broker conformance suite
// covers it.
func TestParseCallback(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	b, err := dummy.New(dummy.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	signed := func(c dummy.Callback, sign func(body []byte, sig string) string) *getpaid.CallbackRequest {
		body, sig := dummy.EncodeCallback(secret, c)
		h := http.Header{}
		if s := sign(body, sig); s != "" {
			h.Set(dummy.SignatureHeader, s)
		}
		return &getpaid.CallbackRequest{Header: h, Body: body}
	}
	asIs := func(_ []byte, sig string) string { return sig }
	cb := func(status, amount, currency string) dummy.Callback {
		return dummy.Callback{PaymentID: "pay_1", EventID: "evt_1", Status: status, Amount: amount, Currency: currency}
	}
	for _, tc := range []struct {
		name string
		req  *getpaid.CallbackRequest
		want *getpaid.Observation // nil: refused with ErrSignatureInvalid
	}{
		{"paid", signed(cb(dummy.StatusPaid, "12.34", "PLN"), asIs), &getpaid.Observation{PaymentID: "pay_1", EventID: "evt_1",
			Kind: getpaid.KindCaptured, Full: true, Amount: getpaid.MustParseMoney("12.34", "PLN"), BrokerStatus: dummy.StatusPaid}},
		{"partially paid", signed(cb(dummy.StatusPartiallyPaid, "5.00", "EUR"), asIs), &getpaid.Observation{PaymentID: "pay_1", EventID: "evt_1",
			Kind: getpaid.KindCaptured, Amount: getpaid.MustParseMoney("5.00", "EUR"), BrokerStatus: dummy.StatusPartiallyPaid}},
		{"pre-authorised", signed(cb(dummy.StatusPreAuth, "7", "JPY"), asIs), &getpaid.Observation{PaymentID: "pay_1", EventID: "evt_1",
			Kind: getpaid.KindLocked, Amount: getpaid.MustParseMoney("7", "JPY"), BrokerStatus: dummy.StatusPreAuth,
			PaymentAmount: getpaid.MustParseMoney("7", "JPY")}}, // a hold is of the whole payment
		{"failed", signed(cb(dummy.StatusFailed, "1.000", "KWD"), asIs), &getpaid.Observation{PaymentID: "pay_1", EventID: "evt_1",
			Kind: getpaid.KindFailed, Amount: getpaid.MustParseMoney("1.000", "KWD"), BrokerStatus: dummy.StatusFailed,
			PaymentAmount: getpaid.MustParseMoney("1.000", "KWD")}}, // a failure names the whole payment
		{"no signature", signed(cb(dummy.StatusPaid, "12.34", "PLN"), func([]byte, string) string { return "" }), nil},
		{"signature not hex", signed(cb(dummy.StatusPaid, "12.34", "PLN"), func(_ []byte, sig string) string { return "zz" + sig[2:] }), nil},
		{"signature cut short", signed(cb(dummy.StatusPaid, "12.34", "PLN"), func(_ []byte, sig string) string { return sig[:32] }), nil},
		{"signature's last digit changed", signed(cb(dummy.StatusPaid, "12.34", "PLN"), func(_ []byte, sig string) string {
			last := byte('0')
			if sig[len(sig)-1] == '0' {
				last = '1'
			}
			return sig[:len(sig)-1] + string(last)
		}), nil},
		{"another secret", signed(cb(dummy.StatusPaid, "12.34", "PLN"), func(body []byte, _ string) string { return dummy.Sign("other", body) }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := b.ParseCallback(context.Background(), tc.req)
			if tc.want == nil {
				if !errors.Is(err, getpaid.ErrSignatureInvalid) {
					t.Fatalf("ParseCallback = %+v, %v; want ErrSignatureInvalid", got, err)
				}
				if err := b.VerifyCallback(context.Background(), tc.req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
					t.Fatalf("VerifyCallback = %v; want ErrSignatureInvalid", err)
				}
				return
			}
			if err != nil || *got != *tc.want {
				t.Fatalf("ParseCallback = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
