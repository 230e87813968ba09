package przelewy24_test

import (
	"context"
	"fmt"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
)

// A payment against the simulator: register, pay, then the notification is
// parsed and verified before it counts.
func Example() {
	sim := p24test.Start(p24test.Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "secret"})
	defer sim.Close()
	b, err := przelewy24.New(przelewy24.Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "secret", APIURL: sim.URL()})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	// The engine provisions every backend with getpaid's URLs; by hand:
	if err := b.Provision(ctx, getpaid.NewEnv("przelewy24", "https://shop.example/payments", nil)); err != nil {
		panic(err)
	}
	p := &getpaid.Payment{ID: "pay_example", Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("49.99", "PLN"),
		Buyer: getpaid.Buyer{Email: "buyer@example.com"}}
	prep, err := b.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
	if err != nil {
		panic(err)
	}
	if err := sim.Pay(ctx, prep.Redirect, p24test.OutcomePaid); err != nil {
		panic(err)
	}
	req, _ := sim.Notification(p.ID, 0, "") // what Przelewy24 POSTs to urlStatus
	o, err := b.ParseCallback(ctx, req)
	if err != nil {
		panic(err)
	}
	fmt.Println(o.Kind, o.Amount, "verified:", sim.Verified(p.ID))
	if err := b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: o}); err != nil {
		panic(err)
	}
	fmt.Println("verified:", sim.Verified(p.ID))
	// Output:
	// captured 49.99 PLN verified: false
	// verified: true
}
