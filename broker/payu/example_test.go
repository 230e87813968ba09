package payu_test

import (
	"context"
	"fmt"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

// Signing the legacy hosted form (vector from PayU's PHP SDK tests).
func ExampleFormSignature() {
	sig, err := payu.FormSignature(map[string]string{"test": "OpenPayUData"}, "SignatureKey", "MerchantPosId", "SHA-256")
	fmt.Println(sig, err)
	// Output: sender=MerchantPosId;algorithm=SHA-256;signature=e4c8315c9ab2e097ef1221f3fbd1e761405d961760e538fb2e0055d3d90b5e35 <nil>
}

// A backend pointed at the simulator: create an order, pay it as the buyer,
// and parse the notification PayU would send.
func Example() {
	sim := payutest.Start(payutest.Config{})
	defer sim.Close()
	sc := sim.Config()
	b, err := payu.New(payu.Config{PosID: sc.PosID, SecondKey: sc.SecondKey, ClientID: sc.ClientID,
		ClientSecret: sc.ClientSecret, APIURL: sim.URL()})
	if err != nil {
		panic(err)
	}
	// The engine provisions every backend with getpaid's URLs; by hand:
	if err := b.Provision(context.Background(), getpaid.NewEnv("payu", "https://shop.example/payments", nil)); err != nil {
		panic(err)
	}
	p := &getpaid.Payment{ID: "pay_example", Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("10", "HUF"), Description: "Order 1"}
	ctx := context.Background()
	prepared, err := b.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
	if err != nil {
		panic(err)
	}
	_ = sim.Pay(ctx, prepared.Redirect, payutest.OutcomePaid)
	req, _ := sim.Notification(prepared.ExternalID, "", "", "")
	o, err := b.ParseCallback(ctx, req)
	fmt.Println(o.Kind, o.Amount, o.PaymentID, err)
	// Output: captured 10.00 HUF pay_example <nil>
}
