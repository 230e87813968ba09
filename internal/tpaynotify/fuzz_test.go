package tpaynotify

import (
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzParseNotification: any body either fails with ErrMalformedCallback or
// parses into a notification whose observation is consistent or refused as
// malformed; nothing panics.
func FuzzParseNotification(f *testing.F) {
	f.Add([]byte("id=1010&tr_id=TR-ABC-1&tr_date=2026-12-01+10%3A00%3A00&tr_crc=pay_1&tr_amount=10.00&tr_paid=10.00&tr_desc=x&tr_status=TRUE&tr_error=none&tr_email=a%40b.pl&md5sum=6c54fdbd4731d36febb274fea8e923e1"))
	f.Add([]byte("id=1&tr_id=TR-1&tr_crc=c&tr_amount=1&tr_paid=0.5&tr_status=FALSE&tr_error=surcharge&md5sum=x"))
	f.Add([]byte("id=1&tr_id=TR-1&tr_crc=c&tr_amount=1&tr_paid=1&tr_status=CHARGEBACK&md5sum=x&tr_currency=eur"))
	f.Add([]byte("id=1&tr_id=TR-1&tr_crc=c&tr_amount=1&tr_paid=1&tr_status=TRUE&md5sum=x&md5sum=y"))
	f.Add([]byte("%zz"))
	// A zero moved from tr_id into tr_amount: the same md5sum, refused.
	f.Add([]byte("id=1010&tr_id=TR-ABC-1&tr_crc=pay_1&tr_amount=010.00&tr_paid=010.00&tr_status=CHARGEBACK&md5sum=x"))
	f.Add([]byte("id=1010&tr_id=TR-ABC-1&tr_crc=pay_1&tr_amount=10.000&tr_paid=10.00&tr_status=TRUE&md5sum=x"))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseNotification(body)
		if err != nil {
			if !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("error does not wrap ErrMalformedCallback: %v", err)
			}
			return
		}
		_ = n.CheckMD5("code")
		o, err := n.Observation("PLN")
		if err != nil {
			if !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("observation error does not wrap ErrMalformedCallback: %v", err)
			}
			return
		}
		if o.EventID == "" || o.PaymentID == "" || o.Amount.Minor < 0 || !getpaid.KnownCurrency(o.Amount.Currency) {
			t.Fatalf("inconsistent observation %+v", o)
		}
		// tr_amount always travels with the fact, in its currency, so Apply
		// can refuse a transaction of another amount than the payment's.
		if o.PaymentAmount.Minor <= 0 || o.PaymentAmount.Currency != o.Amount.Currency {
			t.Fatalf("observation without the transaction's amount: %+v", o)
		}
		if o.Kind == getpaid.KindCaptured || o.Kind == getpaid.KindRefunded || o.Kind == getpaid.KindAdvance {
			if o.Amount.Minor == 0 {
				t.Fatalf("%s of nothing: %+v", o.Kind, o)
			}
		}
	})
}

// FuzzParseAmount: an accepted amount formats back to an equal value and is
// never negative.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0.1", "100.15", "12", "10.500", "-1", "1e3", "1.001", "92233720368547758.07"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseAmount(s, "PLN")
		if err != nil {
			if !errors.Is(err, getpaid.ErrInvalidAmount) {
				t.Fatalf("%q: error does not wrap ErrInvalidAmount: %v", s, err)
			}
			return
		}
		back, err := FormatAmount(m)
		if err != nil || m.Minor < 0 {
			t.Fatalf("%q -> %v -> %q, %v", s, m, back, err)
		}
		if again, err := ParseAmount(back, "PLN"); err != nil || again != m {
			t.Fatalf("round trip %q -> %v, %v", back, again, err)
		}
	})
}

// FuzzParseJWS: any X-JWS-Signature value either parses into a header and a
// non-empty signature or is refused with ErrSignatureInvalid; nothing panics.
func FuzzParseJWS(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiIsIng1dSI6Imh0dHBzOi8vc2VjdXJlLnRwYXkuY29tL3g1MDkvbm90aWZpY2F0aW9ucy1qd3MucGVtIn0..c2ln")
	f.Add("eyJhbGciOiJub25lIn0..")
	f.Add("bnVsbA..c2ln")
	f.Add("a.b.c.d")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		j, err := parseJWS(v)
		if err != nil {
			if !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Fatalf("error does not wrap ErrSignatureInvalid: %v", err)
			}
			return
		}
		if j.protected == "" || len(j.signature) == 0 {
			t.Fatalf("parsed JWS lacks parts: %+v", j)
		}
		_ = trusted(ProductionJWSPrefix, j.header.X5U)
	})
}
