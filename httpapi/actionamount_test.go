package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
)

// chosen makes a payment of amount in currency on the dummy paywall with
// the buyer's outcome (paid, pre_auth).
func (e *env) chosen(order, amount, currency, outcome string) httpapi.PaymentJSON {
	e.t.Helper()
	p := e.create(order, amount, currency, "dummy")
	u, _ := url.Parse(p.Redirect.URL)
	q := u.Query()
	q.Set("outcome", outcome)
	e.postForm("/broker/dummy/choose", q)
	e.dummy.Wait()
	return p
}

// A capture's or refund's amount that is not an exact decimal of the
// payment's currency (a sign, an exponent, blanks, too many decimals, a
// fraction of a yen, more than the int64 range, zero) is refused, 422
// invalid_amount naming amount, and nothing moves: no operation is
// recorded, nothing is reserved or sent to the broker.
func TestActionAmountFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	pln := e.chosen("o-fmt-pln", "100.00", "PLN", "paid")
	jpy := e.chosen("o-fmt-jpy", "1000", "JPY", "paid")
	held := e.chosen("o-fmt-held", "100.00", "PLN", "pre_auth")
	bad := []string{"-5.00", "+5.00", "1e3", "1E3", " 5.00", "5.00 ", "5,00", ".5", "5.", "0x10", "1_000", "NaN", "Infinity",
		"10.001", "0", "0.00", "00", "99999999999999999999", "92233720368547758.07", "5.00 PLN", "５", "-0"}
	type target struct {
		p      httpapi.PaymentJSON
		action string
		extra  []string // refused for this currency only
	}
	for _, tc := range []target{
		{pln, "refund", []string{"100.01"}},
		{held, "capture", []string{"100.01"}},
		{jpy, "refund", []string{"100.0", "100.00", "1000.5", "1001"}},
	} {
		for i, amount := range append(append([]string(nil), bad...), tc.extra...) {
			b, _ := json.Marshal(map[string]string{"amount": amount})
			resp, body := e.doRaw("POST", "/api/v1/payments/"+tc.p.ID+"/"+tc.action, string(b), keyed(fmt.Sprint("fmt-", tc.action, tc.p.Currency, i)))
			var a actionAnswer
			_ = json.Unmarshal(body, &a)
			if resp.StatusCode != 422 || a.Error.Code != "invalid_amount" || a.Error.Field != "amount" {
				t.Errorf("%s %s of %q: %d %+v, want 422 invalid_amount naming amount", tc.action, tc.p.Currency, amount, resp.StatusCode, a.Error)
			}
		}
	}
	for _, tc := range []struct {
		p      httpapi.PaymentJSON
		status getpaid.Status
	}{{pln, getpaid.StatusPaid}, {jpy, getpaid.StatusPaid}, {held, getpaid.StatusPreAuth}} {
		got := e.payment(tc.p.ID)
		if got.Status != tc.status || got.Captured != tc.p.Amount && tc.status == getpaid.StatusPaid || got.Refunded != zero(tc.p.Currency) || len(got.Operations) != 0 {
			t.Errorf("%s after refused amounts: %s, captured %s, refunded %s, %d operations; want untouched", tc.p.ID, got.Status, got.Captured, got.Refunded, len(got.Operations))
		}
	}
	// The same request, well formed, goes through.
	if code, a, _ := e.action(jpy.ID, "refund", "100", keyed("fmt-ok")); code != 200 || a.Refunded != "100" {
		t.Fatalf("refund of 100 JPY: %d, refunded %s", code, a.Refunded)
	}
}

func zero(currency string) string {
	if currency == "JPY" {
		return "0"
	}
	return "0.00"
}
