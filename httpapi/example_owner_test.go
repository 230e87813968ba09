package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
)

// buyerKey is the context key under which the shop's session middleware
// puts the signed-in buyer.
type buyerKey struct{}

// Only an order's buyer may see its payment form and pay it: the
// OrderSource (and CheckPayable) get the request's context, so the shop's
// own session middleware, wrapped around getpaid's handler, tells them who
// asks. Another buyer's order is "no such order" (404), as an unknown one.
func ExampleConfig_orderOwner() {
	d, _ := dummy.New(dummy.Config{Secret: "change-me"})
	registry, _ := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Title: "Test payments", Broker: d})
	defer registry.Close()
	eng, _ := engine.New(engine.Config{Store: memory.New(), Registry: registry, BaseURL: "https://shop.example/payments"})
	defer eng.Close()

	owners := map[string]string{"order-1": "alice"} // the shop's orders table
	orders := getpaid.OrderSourceFunc(func(ctx context.Context, id string) (*getpaid.Order, error) {
		buyer, _ := ctx.Value(buyerKey{}).(string)
		if owner, ok := owners[id]; !ok || owner != buyer {
			return nil, getpaid.ErrNotFound // not this buyer's: as if there were none
		}
		return &getpaid.Order{ID: id, Amount: getpaid.MustParseMoney("49.99", "PLN"), Description: "Two mugs",
			ReturnURL: "https://shop.example/orders/" + url.PathEscape(id)}, nil
	})
	h, _ := httpapi.New(httpapi.Config{Service: eng, Orders: orders})

	// The shop's session middleware (here: a header stands for the cookie).
	session := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := context.WithValue(r.Context(), buyerKey{}, r.Header.Get("X-Demo-Buyer"))
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	mux := http.NewServeMux()
	mux.Handle("/payments/", session(http.StripPrefix("/payments", h)))

	for _, buyer := range []string{"alice", "mallory"} {
		req := httptest.NewRequest("GET", "/payments"+httpapi.PaymentFormPath("order-1"), nil)
		req.Header.Set("X-Demo-Buyer", buyer)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(buyer, rec.Code)
	}
	// Output:
	// alice 200
	// mallory 404
}
