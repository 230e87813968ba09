package dotpay_test

import (
	"maps"
	"net/http"
	"net/url"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
)

const (
	testShop = "123456"
	testPIN  = "Xy7pQ2mN9vR4tW6z"
)

func newBroker(t testing.TB, tweak func(*dotpay.Config)) *dotpay.Broker {
	t.Helper()
	cfg := dotpay.Config{ShopID: testShop, PIN: testPIN}
	if tweak != nil {
		tweak(&cfg)
	}
	b, err := dotpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// payURLC is a completed payment URLC of 123.45 PLN for payment pay_1.
func payURLC() map[string]string {
	return map[string]string{
		"id": testShop, "operation_number": "M1234-5678", "operation_type": "payment",
		"operation_status": "completed", "operation_amount": "123.45", "operation_currency": "PLN",
		"operation_withdrawal_amount": "121.10", "operation_commission_amount": "2.35", "is_completed": "true",
		"operation_original_amount": "123.45", "operation_original_currency": "PLN",
		"operation_datetime": "2026-03-01 10:11:12", "control": "pay_1", "description": "Order 1 / zamówienie",
		"email": "jan@example.com", "p_info": "Shop", "p_email": "shop@example.com", "channel": "73",
		"channel_country": "PL", "geoip_country": "PL",
	}
}

// with returns a copy of f with changes applied ("" deletes).
func with(f map[string]string, changes ...string) map[string]string {
	c := maps.Clone(f)
	for i := 0; i+1 < len(changes); i += 2 {
		if changes[i+1] == "" {
			delete(c, changes[i])
		} else {
			c[changes[i]] = changes[i+1]
		}
	}
	return c
}

// signed returns f signed with pin, as a form body.
func signed(pin string, f map[string]string) []byte {
	v := url.Values{}
	for k, val := range f {
		v.Set(k, val)
	}
	v.Set("signature", dotpay.Signature(pin, f))
	return []byte(v.Encode())
}

func urlcRequest(body []byte) *getpaid.CallbackRequest {
	return &getpaid.CallbackRequest{Method: http.MethodPost, Body: body, RemoteIP: "195.150.9.37",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}
}

// replaceParam returns rd's URL with one parameter changed (a GET link),
// or changes rd's fields (a POST form) and returns the URL unchanged. The
// chk is recomputed with the test PIN of the simulator's default config.
func replaceParam(t *testing.T, rd *getpaid.Redirect, key, value string) string {
	t.Helper()
	pin := "0123456789abcdefABCDEF0123456789"
	if rd.Method == http.MethodPost {
		f := maps.Clone(rd.Fields)
		f[key] = value
		delete(f, "chk")
		f["chk"] = dotpay.Chk(pin, f)
		rd.Fields = f
		return rd.URL
	}
	u, err := url.Parse(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	q.Del("chk")
	f := map[string]string{}
	for k, v := range q {
		f[k] = v[0]
	}
	q.Set("chk", dotpay.Chk(pin, f))
	u.RawQuery = q.Encode()
	return u.String()
}
