package dotpay_test

import (
	"context"
	"fmt"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/broker/dotpay/dotpaytest"
)

// A payment against the simulator: the signed form, the buyer paying, and
// the URLC Dotpay sends, verified and mapped.
func Example() {
	sim := dotpaytest.Start(dotpaytest.Config{ShopID: "123456", PIN: "Xy7pQ2mN9vR4tW6z"})
	defer sim.Close()
	b, err := dotpay.New(dotpay.Config{ShopID: "123456", PIN: "Xy7pQ2mN9vR4tW6z", APIURL: sim.URL()})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	// The engine provisions every backend with getpaid's URLs; by hand (no
	// getpaid listens here, so the simulator's own URLC goes nowhere):
	if err := b.Provision(ctx, getpaid.NewEnv("dotpay", "http://127.0.0.1:1/payments", nil)); err != nil {
		panic(err)
	}
	p := &getpaid.Payment{ID: "pay_example", Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("49.99", "PLN"),
		Description: "Order 7"}
	prep, err := b.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
	if err != nil {
		panic(err)
	}
	fmt.Println(prep.Redirect.Method, prep.Redirect.URL[:len(sim.URL())+4] == sim.URL()+"/t2/")
	if err := sim.Pay(ctx, prep.Redirect, dotpaytest.OutcomePaid); err != nil {
		panic(err)
	}
	req, _ := sim.Notification(p.ID, "completed", p.Amount) // what Dotpay POSTs to urlc
	o, err := b.ParseCallback(ctx, req)
	if err != nil {
		panic(err)
	}
	_, ack := b.CallbackAck()
	fmt.Println(o.Kind, o.Amount, o.PaymentID, string(ack))
	// Output:
	// GET true
	// captured 49.99 PLN pay_example OK
}
