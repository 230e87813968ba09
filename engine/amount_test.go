package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A capture or refund of a wrong amount is refused with a reason that names
// what is wrong: a positive amount in another currency is not told it
// "must be more than zero". Nothing changes and no operation is recorded.
func TestActionAmountRefusedWithItsReason(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	paid := e.pay("o-amt-paid", "100.00", "paid", getpaid.StatusPaid)
	held := e.pay("o-amt-held", "100.00", "pre_auth", getpaid.StatusPreAuth)
	mk := func(minor int64, cur string) *getpaid.Money { return &getpaid.Money{Minor: minor, Currency: cur} }
	cases := []struct {
		name   string
		act    func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error)
		id     string
		amount *getpaid.Money
		reason string
	}{
		{"refund in another currency", e.eng.Refund, paid.ID, mk(100, "EUR"), "is in EUR: the payment is in PLN"},
		{"refund in an unknown currency", e.eng.Refund, paid.ID, mk(100, "XYZ"), "is in XYZ: the payment is in PLN"},
		{"refund with no currency", e.eng.Refund, paid.ID, mk(100, ""), "has no currency: the payment is in PLN"},
		{"refund of nothing", e.eng.Refund, paid.ID, mk(0, "PLN"), "must be more than zero"},
		{"negative refund", e.eng.Refund, paid.ID, mk(-100, "PLN"), "must be more than zero"},
		{"capture in another currency", e.eng.Capture, held.ID, mk(100, "USD"), "is in USD: the payment is in PLN"},
		{"negative capture", e.eng.Capture, held.ID, mk(-1, "PLN"), "must be more than zero"},
	}
	for _, c := range cases {
		_, err := c.act(ctx, getpaid.ActionRequest{PaymentID: c.id, Amount: c.amount})
		var fe *getpaid.FieldError
		if !errors.As(err, &fe) || fe.Field != "amount" || !errors.Is(err, getpaid.ErrInvalidAmount) {
			t.Errorf("%s: %v, want a FieldError on amount wrapping ErrInvalidAmount", c.name, err)
			continue
		}
		if !strings.Contains(fe.Reason, c.reason) {
			t.Errorf("%s: reason %q, want it to say %q", c.name, fe.Reason, c.reason)
		}
	}
	for _, p := range []*getpaid.Payment{paid, held} {
		now, err := e.eng.Payment(ctx, p.ID)
		if err != nil || now.Version != p.Version || now.Status != p.Status {
			t.Errorf("refused requests changed %s: %+v (%v)", p.ID, now, err)
		}
	}
	if ops, err := e.eng.Operations(ctx, getpaid.OperationFilter{}); err != nil || len(ops.Operations) != 0 {
		t.Errorf("refused requests recorded operations: %+v (%v)", ops, err)
	}
}

// A refused release or cancel does not say it was "of 0.00 PLN": neither
// takes an amount.
func TestRefusedReleaseNamesNoAmount(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	paid := e.pay("o-rel-paid", "100.00", "paid", getpaid.StatusPaid)
	cases := []struct {
		name string
		act  func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error)
	}{
		{"release", e.eng.Release},
		{"cancel", e.eng.Cancel},
	}
	for _, c := range cases {
		_, err := c.act(ctx, getpaid.ActionRequest{PaymentID: paid.ID})
		if !errors.Is(err, getpaid.ErrForbiddenTransition) {
			t.Errorf("%s of a paid payment: %v, want ErrForbiddenTransition", c.name, err)
			continue
		}
		if strings.Contains(err.Error(), " of 0.00 PLN") {
			t.Errorf("%s: %q names an amount it never took", c.name, err)
		}
	}
}
