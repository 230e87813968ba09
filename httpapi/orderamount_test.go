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

// An order whose amount is Money that no payment can carry (a free order,
// "0.00" as the README's ParseMoney reads it without error; an Amount the
// source left unset, in no currency) is refused on the payment-method form
// itself, as the POST refuses it: the page says which of the order's
// fields is not accepted and offers no method. Before, the form listed
// methods (for an order in no currency, every backend) and a button "Pay
// 0.00", which could only fail.
func TestOrderAmountNoPaymentCarriesRefusesTheForm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		amount func() getpaid.Money
		field  string
	}{
		{"a free order", func() getpaid.Money { return getpaid.MustParseMoney("0.00", "PLN") }, "amount"},
		{"no amount set", func() getpaid.Money { return getpaid.Money{} }, "amount"},
		{"no currency set", func() getpaid.Money { return getpaid.Money{Minor: 1000} }, "currency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			orders := getpaid.OrderSourceFunc(func(_ context.Context, id string) (*getpaid.Order, error) {
				return &getpaid.Order{ID: id, Amount: tc.amount(), Description: "Order"}, nil
			})
			e := newEnv(t, envOpts{})
			h, err := httpapi.New(httpapi.Config{Service: e.eng, Orders: orders})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			for _, method := range []string{"GET", "POST"} {
				var resp *http.Response
				if method == "GET" {
					resp, err = http.Get(srv.URL + "/pay/o-1")
				} else {
					resp, err = brokerhttp.Client(nil, 0, 0).PostForm(srv.URL+"/pay/o-1", url.Values{"backend": {"dummy"}})
				}
				if err != nil {
					t.Fatal(err)
				}
				body := readAll(t, resp)
				if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, `name="backend"`) ||
					!strings.Contains(body, "This order cannot be paid: its "+tc.field+" is not accepted") {
					t.Errorf("%s /pay/o-1: %d, want 422 saying the order's %s is not accepted, and no method to choose:\n%s",
						method, resp.StatusCode, tc.field, body)
				}
			}
			if ps := e.byOrder("o-1"); len(ps) != 0 {
				t.Errorf("%d payments stored for an order whose amount is refused", len(ps))
			}
		})
	}
}
