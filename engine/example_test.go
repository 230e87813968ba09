package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	// Step 1: import getpaid, its engine and HTTP layer, and the backends you enable.
	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
)

// Example shows the seven integration steps of the README in a running shop.
func Example() {
	ctx := context.Background()
	mux := http.NewServeMux()
	shop := httptest.NewServer(mux) // your shop
	defer shop.Close()

	// Step 2: choose the enabled backends. Step 3: give each its settings.
	d, _ := dummy.New(dummy.Config{Secret: "change-me"})
	registry, _ := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Title: "Test payments", Broker: d})
	defer registry.Close() // after eng.Close: stops the backends' background work

	// Step 5: tell getpaid how to read an order.
	orders := getpaid.OrderSourceFunc(func(ctx context.Context, id string) (*getpaid.Order, error) {
		if id != "order-1" {
			return nil, getpaid.ErrNotFound
		}
		return &getpaid.Order{ID: id, Amount: getpaid.MustParseMoney("49.99", "PLN"),
			Description: "Two mugs", Buyer: getpaid.Buyer{Email: "buyer@example.com"},
			ReturnURL: shop.URL + "/orders/" + url.PathEscape(id)}, nil
	})

	eng, _ := engine.New(engine.Config{
		Store:    memory.New(), // sqlite.Open(ctx, "shop.db", sqlite.Options{}) in production
		Registry: registry,
		BaseURL:  shop.URL + "/payments", // every backend learns its URLs from it
	})
	defer eng.Close()

	// Step 6: listen to "new payment" and "status changed" events.
	paid := make(chan string, 1)
	eng.OnEventNamed("orders", func(ctx context.Context, ev getpaid.Event) error {
		if ev.Type == getpaid.EventStatusChanged && ev.To == getpaid.StatusPaid {
			select { // mark the order paid once per order: events may repeat
			case paid <- ev.OrderID:
			default: // heard already: a repeat must not block the listener
			}
		}
		return nil
	})

	// Step 4: mount one handler.
	h, _ := httpapi.New(httpapi.Config{Service: eng, Orders: orders})
	mux.Handle("/payments/", http.StripPrefix("/payments", h))

	// Step 7: show the payment-method form: it lists the backends accepting PLN.
	resp, _ := http.Get(shop.URL + "/payments" + httpapi.PaymentFormPath("order-1"))
	resp.Body.Close()
	fmt.Println("form:", resp.StatusCode)

	// The buyer picks a backend; getpaid creates the payment and sends them on.
	p, _ := eng.PayOrder(ctx, orders, "order-1", "dummy", "203.0.113.7")
	fmt.Println(p.Status, p.Amount, strings.HasPrefix(p.Redirect.URL, shop.URL+"/payments/broker/dummy/pay"))

	// The broker's signed callback arrives; the listener hears of it once.
	body, sig := dummy.EncodeCallback("change-me", dummy.Callback{
		PaymentID: p.ID, EventID: "evt-1", Status: "paid", Amount: "49.99", Currency: "PLN"})
	req, _ := http.NewRequest("POST", shop.URL+"/payments/callback/dummy", strings.NewReader(string(body)))
	req.Header.Set(dummy.SignatureHeader, sig)
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	fmt.Println("callback:", resp.StatusCode, "order paid:", <-paid)

	// The order's page shows its payments, newest first.
	page, _ := eng.Payments(ctx, getpaid.PaymentFilter{OrderID: "order-1"})
	for _, p := range page.Payments {
		fmt.Println(p.Backend, p.Status, p.Amount, "captured", p.Money(p.Captured))
	}
	// Output:
	// form: 200
	// prepared 49.99 PLN true
	// callback: 200 order paid: order-1
	// dummy paid 49.99 PLN captured 49.99 PLN
}
