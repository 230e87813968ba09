package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A payment request, or an order its OrderSource returned, without an
// amount is refused as such: a field error on "amount" saying it is
// required. Before, the zero Money was refused for its currency ("unknown
// currency \"\""), which sent a merchant who forgot Order.Amount looking
// at currencies.
func TestMissingAmountSaysSo(t *testing.T) {
	t.Parallel()
	e := newEngine(t, &fakeBroker{}, memory.New())
	ctx := context.Background()
	noAmount := getpaid.OrderSourceFunc(func(_ context.Context, id string) (*getpaid.Order, error) {
		return &getpaid.Order{ID: id, Description: "Two mugs"}, nil
	})
	for name, pay := range map[string]func() error{
		"Pay": func() error {
			_, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o1", Backend: "fake"})
			return err
		},
		"PayOrder": func() error {
			_, err := e.PayOrder(ctx, noAmount, "o2", "fake", "")
			return err
		},
	} {
		err := pay()
		var fe *getpaid.FieldError
		if !errors.As(err, &fe) || fe.Field != "amount" || !errors.Is(err, getpaid.ErrInvalidAmount) || !strings.Contains(fe.Reason, "required") {
			t.Errorf("%s without an amount: %v, want a field error on amount saying it is required", name, err)
		}
	}
}
