package engine_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// A create whose answer was lost is sent again with the same idempotency
// key: it gets the payment the first request made, not a second one. The
// key used for another request is refused.
func ExampleEngine_Pay_idempotencyKey() {
	ctx := context.Background()
	d, _ := dummy.New(dummy.Config{Secret: "change-me"})
	registry, _ := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: d})
	defer registry.Close()
	eng, _ := engine.New(engine.Config{Store: memory.New(), Registry: registry, BaseURL: "https://shop.example/payments"})
	defer eng.Close()

	req := getpaid.PayRequest{OrderID: "order-7", Backend: "dummy", Amount: getpaid.MustParseMoney("25.00", "PLN"),
		IdempotencyKey: "7b1c6a8e-shop-request-1"}
	first, _ := eng.Pay(ctx, req)
	again, _ := eng.Pay(ctx, req) // the shop never saw the first answer
	fmt.Println(again.ID == first.ID, again.Status)

	req.Amount = getpaid.MustParseMoney("26.00", "PLN")
	_, err := eng.Pay(ctx, req)
	var fe *getpaid.FieldError
	fmt.Println(errors.As(err, &fe) && fe.Field == "Idempotency-Key", errors.Is(err, getpaid.ErrInvalidRequest))
	// Output:
	// true prepared
	// true true
}
