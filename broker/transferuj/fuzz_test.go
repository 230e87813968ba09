package transferuj_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/transferuj"
)

// FuzzParseCallback: any notification body without a JWS is refused as a
// bad signature or a malformed body, or maps to a consistent observation
// (taken on its md5sum alone, the default); nothing panics. With
// require_jws every such body is refused, before any certificate is fetched
// (the mapping itself is fuzzed in internal/tpaynotify), so the target also
// checks that nothing reaches the network or slips past the missing JWS.
func FuzzParseCallback(f *testing.F) {
	f.Add([]byte("id=1234&tr_id=1&tr_crc=1&tr_amount=123.45&tr_paid=123.45&tr_status=TRUE&md5sum=21b028c2dbdcb9ca272d1cc67ed0574e"))
	f.Add([]byte("id=1234&tr_id=1&tr_crc=1&tr_amount=123.45&tr_paid=0&tr_status=FALSE&md5sum=21b028c2dbdcb9ca272d1cc67ed0574e"))
	lenient, err := transferuj.New(transferuj.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA"})
	if err != nil {
		f.Fatal(err)
	}
	strict, err := transferuj.New(transferuj.Config{MerchantID: 1234, SecurityCode: "AAAAAAAA", RequireJWS: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := strict.ParseCallback(context.Background(), &getpaid.CallbackRequest{Body: body}); !errors.Is(err, getpaid.ErrSignatureInvalid) && !errors.Is(err, getpaid.ErrMalformedCallback) {
			t.Fatalf("require_jws, no JWS: %v, want it refused", err)
		}
		o, err := lenient.ParseCallback(context.Background(), &getpaid.CallbackRequest{Body: body})
		if err != nil {
			if !errors.Is(err, getpaid.ErrSignatureInvalid) && !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if o.PaymentID == "" || o.EventID == "" || o.Amount.Minor < 0 || o.Amount.Currency != "PLN" {
			t.Fatalf("inconsistent observation %+v", o)
		}
	})
}
