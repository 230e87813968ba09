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

// ExampleEngine_Refund shows money operations in library mode: a refund is
// recorded before the broker is called, a retry with the same idempotency
// key answers the first request's operation, more than is left is refused
// with nothing sent, and a refund whose answer was lost is in doubt until
// the reconciler (Engine.Run) or an operator settles it.
func ExampleEngine_Refund() {
	ctx := context.Background()
	d, _ := dummy.New(dummy.Config{Secret: "change-me"})
	registry, _ := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: d})
	defer registry.Close()
	eng, _ := engine.New(engine.Config{Store: memory.New(), Registry: registry, BaseURL: "https://shop.example/payments"})
	defer eng.Close()

	p, _ := eng.Pay(ctx, getpaid.PayRequest{OrderID: "order-1", Backend: "dummy", Amount: getpaid.MustParseMoney("100.00", "PLN")})
	body, sig := dummy.EncodeCallback("change-me", dummy.Callback{PaymentID: p.ID, EventID: "evt-1", Status: "paid", Amount: "100.00", Currency: "PLN"})
	_, _ = eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Header: map[string][]string{dummy.SignatureHeader: {sig}}, Body: body})

	thirty := getpaid.MustParseMoney("30.00", "PLN")
	res, _ := eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &thirty, IdempotencyKey: "refund-order-1-a"})
	again, _ := eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &thirty, IdempotencyKey: "refund-order-1-a"})
	fmt.Println(res.Operation.State, res.Operation.Amount, res.Payment.Status, again.Operation.ID == res.Operation.ID)

	tooMuch := getpaid.MustParseMoney("80.00", "PLN")
	_, err := eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &tooMuch, IdempotencyKey: "refund-order-1-b"})
	var fe *getpaid.FieldError
	fmt.Println(errors.Is(err, getpaid.ErrInvalidAmount), errors.As(err, &fe) && fe.Field == "amount", fe.Reason)

	// The broker's answer is lost: the operation is unknown, never guessed.
	_ = d.SetFault(dummy.FaultTimeoutBefore)
	_, err = eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "refund-order-1-c"})
	var oe *getpaid.OperationError
	if errors.As(err, &oe) && errors.Is(err, getpaid.ErrOperationInDoubt) {
		fmt.Println(oe.Op.State, oe.Op.Amount)
		// Engine.Run asks the broker; an operator who knows may settle it.
		r, _ := eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpFailed, Note: "not in the broker's panel", By: "alice"})
		fmt.Println(r.Operation.State, r.Payment.Status, r.Payment.Refunded)
	}
	// Output:
	// succeeded 30.00 PLN partially_refunded true
	// true true at most 70.00 PLN can be refunded
	// unknown 70.00 PLN
	// failed partially_refunded 3000
}
