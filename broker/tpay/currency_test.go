package tpay_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
)

// TestNotificationWithoutCurrencyIsPLN: Tpay names tr_currency only for an
// account in another currency than PLN (the assumption tpaytest follows), so
// a notification without it is in PLN whatever order the backend's
// currencies are written in. Read in the first configured currency, a
// backend with currencies [EUR, PLN] refused every PLN payment's
// notification as a currency mismatch, and Tpay retried it until it gave up.
func TestNotificationWithoutCurrencyIsPLN(t *testing.T) {
	t.Parallel()
	p := newRevPKI(t)
	base := map[string]string{"id": "1010", "tr_id": "TR-CWM-CS7LW1X", "tr_date": "2024-06-12 21:35:10", "tr_crc": "pay_1",
		"tr_amount": "0.10", "tr_paid": "0.10", "tr_desc": "Test transaction", "tr_status": "TRUE", "tr_error": "none",
		"tr_email": "jan.nowak@example.com", "test_mode": "1"}
	named := func(cur string) map[string]string {
		f := map[string]string{"tr_currency": cur}
		for k, v := range base {
			f[k] = v
		}
		return f
	}
	for _, tc := range []struct {
		name       string
		currencies []string
		fields     map[string]string
		want       string
	}{
		{"default PLN", nil, base, "PLN"},
		{"PLN first", []string{"PLN", "EUR"}, base, "PLN"},
		{"PLN second", []string{"EUR", "PLN"}, base, "PLN"},
		{"PLN second, EUR named", []string{"EUR", "PLN"}, named("EUR"), "EUR"},
		{"PLN first, EUR named", []string{"PLN", "EUR"}, named("EUR"), "EUR"},
		{"an EUR account alone", []string{"EUR"}, base, "EUR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := tpay.New(tpay.Config{ClientID: "cid", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "demo",
				APIURL: "http://127.0.0.1:1", JWSPrefix: p.srv.URL, Currencies: tc.currencies})
			if err != nil {
				t.Fatal(err)
			}
			body := revNotification(tc.fields, "demo")
			h := http.Header{}
			h.Set("X-JWS-Signature", p.sign(t, p.key, body))
			o, err := b.ParseCallback(context.Background(), &getpaid.CallbackRequest{Method: http.MethodPost, Header: h, Body: body})
			if err != nil {
				t.Fatalf("ParseCallback: %v", err)
			}
			want := getpaid.Money{Minor: 10, Currency: tc.want}
			if o.Amount != want || o.PaymentAmount != want {
				t.Fatalf("amount %v, payment amount %v; want %v", o.Amount, o.PaymentAmount, want)
			}
		})
	}
}
