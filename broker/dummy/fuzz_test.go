package dummy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// FuzzParseBody feeds arbitrary bodies to the callback parser: it must never
// panic, and whatever it accepts must be a well-formed observation.
func FuzzParseBody(f *testing.F) {
	f.Add([]byte(`{"payment_id":"pay_1","event_id":"e1","status":"paid","amount":"12.34","currency":"PLN"}`))
	f.Add([]byte(`{"payment_id":"pay_1","event_id":"e1","status":"pre_auth","amount":"100","currency":"JPY"}`))
	f.Add([]byte(`{"payment_id":"pay_1","event_id":"e1","status":"partially_paid","amount":"1.005","currency":"KWD"}`))
	f.Add([]byte(`{"payment_id":"pay_1"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := dummy.ParseBody(body)
		if err != nil {
			if !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("error not classified as malformed: %v", err)
			}
			return
		}
		if o.PaymentID == "" || o.EventID == "" || o.Amount.Minor < 0 || !getpaid.KnownCurrency(o.Amount.Currency) {
			t.Fatalf("accepted a bad observation: %+v", o)
		}
	})
}

// FuzzVerify checks the signature check never panics and accepts only the
// body's own HMAC.
func FuzzVerify(f *testing.F) {
	f.Add("secret", "", []byte(`{}`))
	f.Add("secret", "00", []byte(`{"a":1}`))
	f.Add("k", dummy.Sign("k", []byte("x")), []byte("x"))
	f.Fuzz(func(t *testing.T, secret, sig string, body []byte) {
		err := dummy.Verify(secret, sig, body)
		if err == nil && !strings.EqualFold(sig, dummy.Sign(secret, body)) {
			t.Fatalf("accepted a signature that is not the body's HMAC: %q", sig)
		}
	})
}
