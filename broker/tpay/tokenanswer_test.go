package tpay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
)

// A token answer getpaid cannot read but that carries an access_token (a
// field of another type than Tpay's, a body cut short) is said without
// the token: the error is logged, stored with an operation and shown in
// the console, and the token is a bearer credential for the merchant's
// Tpay API (refunds included) for two hours.
func TestTokenAnswerErrorHidesToken(t *testing.T) {
	t.Parallel()
	const secret = "tok-5f2c1e0b9a8d7c6b"
	tests := []struct{ name, body string }{
		{"expires_in as text", `{"issued_at":1,"scope":"read","token_type":"Bearer","expires_in":"7200","client_id":"id","access_token":"` + secret + `"}`},
		{"token_type a number", `{"access_token":"` + secret + `","token_type":1,"expires_in":7200}`},
		{"cut short", `{"access_token":"` + secret + `","token_type":"Bea`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			b, err := tpay.New(tpay.Config{ClientID: "id", ClientSecret: "s", MerchantID: 1010, SecurityCode: "demo", APIURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			if err := b.Provision(context.Background(), getpaid.NewEnv("tpay", "https://shop.example/payments", nil)); err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), Backend: "tpay", Amount: getpaid.MustParseMoney("10.00", "PLN"),
				Status: getpaid.StatusNew, Description: "Order", Buyer: getpaid.Buyer{Email: "jan@example.com"}}
			_, err = b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
			var be *getpaid.BrokerError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v, want a *getpaid.BrokerError", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("the error quotes the access token: %q", err)
			}
		})
	}
}
