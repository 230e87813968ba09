package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// The payment-method form is the merchant's page, signed-in buyers' cookies
// and all: another site's page posting it (cross-site request forgery) must
// not start a payment for the buyer's order (under one live payment per
// order, that payment would block the buyer's own until it expired). A
// browser says where a request comes from (Sec-Fetch-Site, Origin); the
// shop's own page, and a client that is no browser, still pay.
func TestPaymentFormRefusesCrossSitePosts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"another site", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"another site, Origin only", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"the shop's own page", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusFound},
		{"no browser", nil, http.StatusFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{})
			orders := checkedOrders{"o-1": {ID: "o-1", Amount: getpaid.MustParseMoney("10.00", "PLN"), Description: "Order", ReturnURL: "https://shop.example/o-1"}}
			h, err := httpapi.New(httpapi.Config{Service: e.eng, Orders: orders})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/pay/o-1", strings.NewReader(url.Values{"backend": {"dummy"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != tc.want {
				t.Fatalf("POST /pay/o-1: %d, want %d\n%s", resp.StatusCode, tc.want, body)
			}
			if n, want := len(e.byOrder("o-1")), map[bool]int{true: 1, false: 0}[tc.want == http.StatusFound]; n != want {
				t.Fatalf("%d payments stored, want %d", n, want)
			}
			if tc.want == http.StatusForbidden && e.counts.prepares.Load() != 0 {
				t.Fatal("a cross-site post reached the broker")
			}
		})
	}
}
