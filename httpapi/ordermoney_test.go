package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// An order whose amount or currency the shop's source cannot make Money of
// (the README's step 5: "10.001" PLN, "10,00", "pln" refuse the payment) is
// refused for good: the payment-method form says the order cannot be paid
// and which of the two is wrong, and starts nothing. Before, the page said
// "could not be read now; try again in a moment" beside its 422, and a
// buyer who tried again was told the same for ever.
func TestOrderSourceMoneyErrorRefusesTheOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, amount, currency, field string
	}{
		{"too many decimals", "10.001", "PLN", "amount"},
		{"decimal comma", "10,00", "PLN", "amount"},
		{"lower-case currency", "10.00", "pln", "currency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			orders := getpaid.OrderSourceFunc(func(_ context.Context, id string) (*getpaid.Order, error) {
				amount, err := getpaid.ParseMoney(tc.amount, tc.currency)
				if err != nil {
					return nil, fmt.Errorf("order %s: %w", id, err)
				}
				return &getpaid.Order{ID: id, Amount: amount, Description: "Order"}, nil
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
				if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, "try again") ||
					!strings.Contains(body, "This order cannot be paid: its "+tc.field+" is not accepted") {
					t.Errorf("%s /pay/o-1: %d, want 422 saying the order's %s is not accepted, not to try again:\n%s",
						method, resp.StatusCode, tc.field, body)
				}
			}
			if ps := e.byOrder("o-1"); len(ps) != 0 {
				t.Errorf("%d payments stored for an order whose amount is refused", len(ps))
			}
		})
	}
}
