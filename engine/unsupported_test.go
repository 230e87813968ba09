package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// bare is the dummy broker seen through getpaid.Broker (and Provisioner)
// alone: it can neither capture, release, cancel nor refund (as Przelewy24
// cannot capture).
type bare struct{ d *dummy.Broker }

func (b bare) Currencies() []string { return b.d.Currencies() }
func (b bare) Prepare(ctx context.Context, r *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	return b.d.Prepare(ctx, r)
}
func (b bare) ParseCallback(ctx context.Context, r *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	return b.d.ParseCallback(ctx, r)
}
func (b bare) Provision(ctx context.Context, env getpaid.Env) error { return b.d.Provision(ctx, env) }

// An operation the backend cannot do is ErrNotSupported (422
// not_supported, as the README's table says) whatever the payment's
// amounts: a capture or refund of "everything" on a backend without
// captures or refunds is not answered as a forbidden transition.
func TestUnsupportedOperationWhateverTheAmounts(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { return bare{d} })
	ctx := context.Background()
	p, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	for name, do := range map[string]func() error{
		"capture of the hold": func() error {
			_, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "c"})
			return err
		},
		"capture of an amount": func() error {
			_, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("1.00"), IdempotencyKey: "c1"})
			return err
		},
		"refund of everything": func() error {
			_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r"})
			return err
		},
		"release": func() error {
			_, err := e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: p.ID})
			return err
		},
		"cancel": func() error {
			_, err := e.eng.Cancel(ctx, getpaid.ActionRequest{PaymentID: p.ID})
			return err
		},
	} {
		if err := do(); !errors.Is(err, getpaid.ErrNotSupported) {
			t.Errorf("%s: %v, want ErrNotSupported", name, err)
		}
	}
}
