package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// PaymentFormPath links to the form of any order id a payment accepts,
// spaces, slashes, '#', '?' and '%' included: the form shows that order
// and paying it pays that order.
func TestPaymentFormPathOfAnyOrderID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	ids := []string{"ORD 2026/12-01#7", "a?b=c", "100%", "zamówienie/ą", ".", "..", "a/../b", "o-1"}
	orders := checkedOrders{}
	for _, id := range ids {
		orders[id] = &getpaid.Order{ID: id, Amount: getpaid.MustParseMoney("10.00", "PLN"), Description: "Order " + id}
	}
	h, err := httpapi.New(httpapi.Config{Service: e.eng, APIKeys: []string{apiKey}, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/payments/", http.StripPrefix("/payments", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, id := range ids {
		link := srv.URL + "/payments" + httpapi.PaymentFormPath(id)
		resp, err := client.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="dummy"`) {
			t.Errorf("form of order %q at %s: %d, want 200 and the form", id, link, resp.StatusCode)
			continue
		}
		resp, err = client.PostForm(link, url.Values{"backend": {"dummy"}})
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		page, err := e.store.Payments(context.Background(), getpaid.PaymentFilter{OrderID: id})
		if resp.StatusCode != http.StatusFound || err != nil || len(page.Payments) != 1 {
			t.Errorf("paying order %q: %d, %d payments of it (%v)", id, resp.StatusCode, len(page.Payments), err)
		}
	}
}
