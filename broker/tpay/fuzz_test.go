package tpay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// FuzzAmountJSON: an amount Tpay answers either reads exactly (and writes
// back to the same value) or is refused as an invalid amount.
func FuzzAmountJSON(f *testing.F) {
	for _, s := range []string{`0.1`, `100.15`, `"12.30"`, `12`, `1e2`, `-1`, `null`, `1.005`, `"x"`, `{}`, `92233720368547758.07`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var a Amount
		if err := json.Unmarshal(raw, &a); err != nil {
			return
		}
		m, err := a.Money("PLN")
		if err != nil {
			if !errors.Is(err, getpaid.ErrInvalidAmount) {
				t.Fatalf("%s: error does not wrap ErrInvalidAmount: %v", raw, err)
			}
			return
		}
		if m.Minor < 0 {
			t.Fatalf("%s: negative %v", raw, m)
		}
		back, err := NewAmount(m)
		if err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(back)
		if err != nil {
			t.Fatal(err)
		}
		var again Amount
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatal(err)
		}
		if m2, err := again.Money("PLN"); err != nil || m2 != m {
			t.Fatalf("%s -> %v -> %s -> %v, %v", raw, m, out, m2, err)
		}
	})
}

// FuzzParseCallback: any header and body are refused as a bad signature, a
// malformed body or a broker error (certificates out of reach here), never
// accepted and never a panic: without Tpay's key nothing verifies.
func FuzzParseCallback(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiIsIng1dSI6Imh0dHA6Ly8xMjcuMC4wLjE6MS94NTA5L2EucGVtIn0..c2ln",
		[]byte("id=1010&tr_id=TR-1&tr_crc=pay_1&tr_amount=10.00&tr_paid=10.00&tr_status=TRUE&md5sum=a001a5b9a94b26d17ca82400f134590e"))
	f.Add("", []byte(`{"type":"tokenization","data":{}}`))
	// A payment notification sent as JSON (read like the form since the
	// outside review), amounts as numbers, and cut short.
	f.Add("eyJhbGciOiJSUzI1NiJ9..c2ln", []byte(`{"id":1010,"tr_id":"TR-1","tr_crc":"pay_1","tr_amount":10.00,"tr_paid":10.00,"tr_status":"TRUE","md5sum":"a001a5b9a94b26d17ca82400f134590e"}`))
	f.Add("eyJhbGciOiJSUzI1NiJ9..c2ln", []byte(`{"id":1010,"tr_id":"TR-1","tr_am`))
	f.Add("a..b", []byte("%zz"))
	b, err := New(Config{ClientID: "id", ClientSecret: "s", MerchantID: 1010, SecurityCode: "demo",
		JWSPrefix: "http://127.0.0.1:1", Timeout: 100 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		req := &getpaid.CallbackRequest{Header: http.Header{}, Body: body}
		req.Header.Set(SignatureHeader, header)
		o, err := b.ParseCallback(context.Background(), req)
		var be *getpaid.BrokerError
		switch {
		case err == nil:
			t.Fatalf("accepted without a valid signature: %+v", o)
		case errors.Is(err, getpaid.ErrSignatureInvalid), errors.Is(err, getpaid.ErrMalformedCallback), errors.As(err, &be):
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	})
}
