package dotpay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/broker/dotpay/dotpaytest"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
)

// Library mode with Dotpay, the simulator standing in: its URLC comes from
// this machine, not from Dotpay's addresses, so the allowlist that is on by
// default outside the sandbox is turned off (left on, every URLC is refused
// 403 source_not_allowed and the payment never moves). Against Dotpay itself
// leave IPAllowlist unset.
func Example_libraryMode() {
	ctx := context.Background()
	mux := http.NewServeMux()
	shop := httptest.NewServer(mux) // your shop
	defer shop.Close()
	sim := dotpaytest.Start(dotpaytest.Config{})
	defer sim.Close()

	sc := sim.Config()
	off := false
	b, err := dotpay.New(dotpay.Config{ShopID: sc.ShopID, PIN: sc.PIN, APIURL: sim.URL(), IPAllowlist: &off})
	if err != nil {
		panic(err)
	}
	registry, _ := getpaid.NewRegistry(getpaid.Backend{Name: "dotpay", Title: "Dotpay", Broker: b})
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

	p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "order-1", Backend: "dotpay",
		Amount: getpaid.MustParseMoney("49.99", "PLN"), Description: "Two mugs"})
	if err != nil {
		panic(err)
	}
	_ = sim.Pay(ctx, p.Redirect, dotpaytest.OutcomePaid) // the buyer pays on Dotpay's page
	select {
	case order := <-paid:
		fmt.Println("order paid:", order)
	case <-time.After(10 * time.Second):
		fmt.Println("no URLC counted")
	}
	p, _ = eng.Payment(ctx, p.ID)
	fmt.Println(p.Status, p.Money(p.Captured))
	// Output:
	// order paid: order-1
	// paid 49.99 PLN
}
