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

// An order no payment can be made of is refused for good on the
// payment-method form (GET and POST /pay/{order}): the page says the order
// cannot be paid and which of its amount and currency is wrong, offers no
// method to choose, and starts nothing.
//   - Money the shop's source cannot make of the order (the README's step
//     5: "10.001" PLN, "10,00", "pln" refuse the payment). Before, the page
//     said "could not be read now; try again in a moment" beside its 422,
//     and a buyer who tried again was told the same for ever.
//   - Money no payment can carry (a free order, "0.00" as ParseMoney reads
//     it without error; an Amount the source left unset, in no currency).
//     Before, the form listed methods (for an order in no currency, every
//     backend) and a button "Pay 0.00", which could only fail.
func TestOrderMoneyNoPaymentCarriesRefusesTheOrder(t *testing.T) {
	t.Parallel()
	parsed := func(amount, currency string) func() (getpaid.Money, error) {
		return func() (getpaid.Money, error) { return getpaid.ParseMoney(amount, currency) }
	}
	given := func(m getpaid.Money) func() (getpaid.Money, error) {
		return func() (getpaid.Money, error) { return m, nil }
	}
	for _, tc := range []struct {
		name   string
		amount func() (getpaid.Money, error)
		field  string
	}{
		{"too many decimals", parsed("10.001", "PLN"), "amount"},
		{"decimal comma", parsed("10,00", "PLN"), "amount"},
		{"lower-case currency", parsed("10.00", "pln"), "currency"},
		{"a free order", parsed("0.00", "PLN"), "amount"},
		{"no amount set", given(getpaid.Money{}), "amount"},
		{"no currency set", given(getpaid.Money{Minor: 1000}), "currency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			orders := getpaid.OrderSourceFunc(func(_ context.Context, id string) (*getpaid.Order, error) {
				amount, err := tc.amount()
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
				if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, "try again") || strings.Contains(body, `name="backend"`) ||
					!strings.Contains(body, "This order cannot be paid: its "+tc.field+" is not accepted") {
					t.Errorf("%s /pay/o-1: %d, want 422 saying the order's %s is not accepted, not to try again, and no method to choose:\n%s",
						method, resp.StatusCode, tc.field, body)
				}
			}
			if ps := e.byOrder("o-1"); len(ps) != 0 {
				t.Errorf("%d payments stored for an order whose amount is refused", len(ps))
			}
		})
	}
}
