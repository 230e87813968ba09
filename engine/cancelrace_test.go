package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// noCancel is the dummy broker without Cancel, as Przelewy24, Dotpay and
// Transferuj are: a payment not paid expires at the broker.
type noCancel struct {
	getpaid.Broker
	d *dummy.Broker
}

func (n noCancel) Provision(ctx context.Context, env getpaid.Env) error {
	return n.d.Provision(ctx, env)
}

// A payment still new (never registered) can be cancelled with any
// backend: nothing is at the broker. The check of the backend read the
// payment before the cancel was recorded, so a Start landing in between
// (the payment now prepared, registered at a broker that cannot cancel)
// let the cancel through to the broker, where the engine's call of Cancel
// panicked (the broker has none), leaving the operation submitting and
// the payment's capture, release and cancel blocked. It is refused as not
// supported, and nothing changes.
func TestCancelOfANewPaymentStartedMeanwhile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		started bool // Start lands between the cancel's read and its write
		wantErr error
		want    getpaid.Status
	}{
		{"still new", false, nil, getpaid.StatusCancelled},
		{"started meanwhile", true, getpaid.ErrNotSupported, getpaid.StatusPrepared},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := &racedStore{Store: memory.New()}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: store}, func(d *dummy.Broker) getpaid.Broker { return noCancel{Broker: d, d: d} })
			ctx := context.Background()
			p, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN"), ReturnURL: "https://shop.example/o"})
			if err != nil || p.Status != getpaid.StatusNew {
				t.Fatalf("create: %+v, %v", p, err)
			}
			var startErr error
			if tc.started {
				store.mu.Lock()
				store.afterPayment = func() { _, startErr = e.eng.Start(ctx, p.ID, "") }
				store.mu.Unlock()
			}
			var res *getpaid.ActionResult
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("cancel panicked: %v", r)
					}
				}()
				res, err = e.eng.Cancel(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
			}()
			if startErr != nil {
				t.Fatalf("start: %v", startErr)
			}
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("cancel: %+v, %v; want %v", res, err, tc.wantErr)
			}
			q, err := e.eng.Payment(ctx, p.ID)
			if err != nil || q.Status != tc.want || q.ActiveOp != "" {
				t.Fatalf("payment after the cancel: %+v, %v; want %s with nothing in flight", q, err, tc.want)
			}
		})
	}
}
