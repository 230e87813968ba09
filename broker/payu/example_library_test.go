package payu_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
)

// Library mode with PayU, the simulator standing in for PayU: the backend
// is registered with the engine (which provisions its notification URL
// from BaseURL) and the HTTP layer is mounted where BaseURL says. The buyer
// pays on PayU's page; PayU's signed notifications reach the shop's
// callback route; the listener hears that the order is paid.
func Example_libraryMode() {
	ctx := context.Background()
	mux := http.NewServeMux()
	shop := httptest.NewServer(mux) // your shop
	defer shop.Close()
	sim := payutest.Start(payutest.Config{}) // PayU (in production: Sandbox, or neither)
	defer sim.Close()

	sc := sim.Config() // your POS's settings from PayU's panel
	b, err := payu.New(payu.Config{PosID: sc.PosID, SecondKey: sc.SecondKey, ClientID: sc.ClientID,
		ClientSecret: sc.ClientSecret, APIURL: sim.URL()})
	if err != nil {
		panic(err)
	}
	registry, _ := getpaid.NewRegistry(getpaid.Backend{Name: "payu", Title: "PayU", Broker: b})
	defer registry.Close()
	eng, err := engine.New(engine.Config{Store: memory.New(), Registry: registry, BaseURL: shop.URL + "/payments"})
	if err != nil {
		panic(err)
	}
	defer eng.Close()
	paid := make(chan string, 1)
	eng.OnEventNamed("orders", func(ctx context.Context, ev getpaid.Event) error {
		if ev.Type == getpaid.EventStatusChanged && ev.To == getpaid.StatusPaid {
			select {
			case paid <- ev.OrderID: // mark the order paid once per order: events may repeat
			default:
			}
		}
		return nil
	})
	h, _ := httpapi.New(httpapi.Config{Service: eng})
	mux.Handle("/payments/", http.StripPrefix("/payments", h))

	p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "order-1", Backend: "payu",
		Amount: getpaid.MustParseMoney("49.99", "PLN"), Description: "Two mugs",
		Buyer: getpaid.Buyer{Email: "buyer@example.com"}, ClientIP: "203.0.113.7"})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Status, "buyer sent to PayU:", strings.HasPrefix(p.Redirect.URL, sim.URL()))

	_ = sim.Pay(ctx, p.Redirect, payutest.OutcomePaid) // the buyer pays on PayU's page
	select {
	case order := <-paid:
		fmt.Println("order paid:", order)
	case <-time.After(10 * time.Second):
		fmt.Println("no notification")
	}
	p, _ = eng.Payment(ctx, p.ID)
	fmt.Println(p.Status, p.Money(p.Captured))
	// Output:
	// prepared buyer sent to PayU: true
	// order paid: order-1
	// paid 49.99 PLN
}
