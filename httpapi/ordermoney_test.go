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
//   - Any other field of the order Pay refuses (the README: "the same
//     rules apply to orders read in library mode"): a buyer's e-mail that
//     is none, a blank in the return URL, a line break in the
//     description, no id. Before, the form listed methods and a Pay
//     button, and choosing one answered 422 with the methods listed
//     again, for ever.
func TestOrderNoPaymentCanBeMadeOfRefusesTheForm(t *testing.T) {
	t.Parallel()
	parsed := func(amount, currency string) func() (getpaid.Money, error) {
		return func() (getpaid.Money, error) { return getpaid.ParseMoney(amount, currency) }
	}
	given := func(m getpaid.Money) func() (getpaid.Money, error) {
		return func() (getpaid.Money, error) { return m, nil }
	}
	valid := parsed("10.00", "PLN")
	for _, tc := range []struct {
		name   string
		amount func() (getpaid.Money, error)
		edit   func(*getpaid.Order)
		field  string
	}{
		{"too many decimals", parsed("10.001", "PLN"), nil, "amount"},
		{"decimal comma", parsed("10,00", "PLN"), nil, "amount"},
		{"lower-case currency", parsed("10.00", "pln"), nil, "currency"},
		{"a free order", parsed("0.00", "PLN"), nil, "amount"},
		{"no amount set", given(getpaid.Money{}), nil, "amount"},
		{"no currency set", given(getpaid.Money{Minor: 1000}), nil, "currency"},
		{"buyer's e-mail that is none", valid, func(o *getpaid.Order) { o.Buyer.Email = "buyer at example.com" }, "buyer.email"},
		{"blank in the return URL", valid, func(o *getpaid.Order) { o.ReturnURL = "https://shop.example/orders/o 1" }, "return_url"},
		{"line break in the description", valid, func(o *getpaid.Order) { o.Description = "Two\nmugs" }, "description"},
		{"no id", valid, func(o *getpaid.Order) { o.ID = "" }, "order_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			orders := getpaid.OrderSourceFunc(func(_ context.Context, id string) (*getpaid.Order, error) {
				amount, err := tc.amount()
				if err != nil {
					return nil, fmt.Errorf("order %s: %w", id, err)
				}
				o := &getpaid.Order{ID: id, Amount: amount, Description: "Order"}
				if tc.edit != nil {
					tc.edit(o)
				}
				return o, nil
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
				t.Errorf("%d payments stored for an order that is refused", len(ps))
			}
		})
	}
}
