package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// payOnlyBroker is the dummy broker taking payments only: no holds to
// release, no cancels (as Przelewy24).
type payOnlyBroker struct {
	getpaid.Broker
	getpaid.Provisioner
}

// A release or a cancel sent with an amount to a backend that cannot do it
// at all is refused as not supported, the more basic error: it was refused
// for its amount ("a release takes no amount"), as if sent without one it
// would go through. A cancel of a payment not yet started, which any
// backend can do, and a retry with the key of a cancel that was done, are
// still refused for the amount. Nothing changes.
func TestUnsupportedWithAnAmountSaysUnsupported(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker {
		return payOnlyBroker{Broker: d, Provisioner: d}
	})
	ctx := context.Background()
	held := e.pay("o-bare-held", "100.00", "pre_auth", getpaid.StatusPreAuth)
	prepared, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-bare-prep", Backend: "dummy",
		Amount: getpaid.MustParseMoney("100.00", "PLN"), ReturnURL: "https://shop.example/o"})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-bare-new", Backend: "dummy",
		Amount: getpaid.MustParseMoney("100.00", "PLN"), ReturnURL: "https://shop.example/o"})
	if err != nil {
		t.Fatal(err)
	}
	unsupported := func(err error) bool { return errors.Is(err, getpaid.ErrNotSupported) }
	amountRefused := func(err error) bool {
		var fe *getpaid.FieldError
		return errors.As(err, &fe) && fe.Field == "amount" && errors.Is(err, getpaid.ErrInvalidRequest)
	}
	step := func(name string, act func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error), req getpaid.ActionRequest, want func(error) bool) {
		t.Helper()
		if _, err := act(ctx, req); !want(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	step("release of a hold with an amount", e.eng.Release, getpaid.ActionRequest{PaymentID: held.ID, Amount: money("10.00")}, unsupported)
	step("release with a key and an amount", e.eng.Release, getpaid.ActionRequest{PaymentID: held.ID, Amount: money("10.00"), IdempotencyKey: "r"}, unsupported)
	step("cancel of a prepared payment with an amount", e.eng.Cancel, getpaid.ActionRequest{PaymentID: prepared.ID, Amount: money("10.00")}, unsupported)
	step("cancel of a new payment with an amount", e.eng.Cancel, getpaid.ActionRequest{PaymentID: fresh.ID, Amount: money("10.00")}, amountRefused)
	for _, id := range []string{held.ID, prepared.ID, fresh.ID} {
		if q, _ := e.eng.Payment(ctx, id); q.Status == getpaid.StatusCancelled || q.Version != 1 && id == fresh.ID {
			t.Errorf("a refused request changed %s: %s, version %d", id, q.Status, q.Version)
		}
		if page, _ := e.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: id}); len(page.Operations) != 0 {
			t.Errorf("a refused request recorded %d operations of %s", len(page.Operations), id)
		}
	}
	// The new payment cancelled with a key: that key with an amount is
	// refused for the amount (the cancel was done), another for the
	// backend, as without an amount.
	if _, err := e.eng.Cancel(ctx, getpaid.ActionRequest{PaymentID: fresh.ID, IdempotencyKey: "c"}); err != nil {
		t.Fatalf("cancel of a new payment: %v", err)
	}
	step("the cancel again with its key and an amount", e.eng.Cancel, getpaid.ActionRequest{PaymentID: fresh.ID, Amount: money("10.00"), IdempotencyKey: "c"}, amountRefused)
	step("the cancel again with its key", e.eng.Cancel, getpaid.ActionRequest{PaymentID: fresh.ID, IdempotencyKey: "c"}, func(err error) bool { return err == nil })
	step("a cancel of it with another key and an amount", e.eng.Cancel, getpaid.ActionRequest{PaymentID: fresh.ID, Amount: money("10.00"), IdempotencyKey: "c2"}, unsupported)
	step("a cancel of it with another key", e.eng.Cancel, getpaid.ActionRequest{PaymentID: fresh.ID, IdempotencyKey: "c2"}, unsupported)
}
