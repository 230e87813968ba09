package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// moneyCallCounter is the dummy broker counting the captures and refunds
// it is asked for.
type moneyCallCounter struct {
	*dummy.Broker
	captures, refunds atomic.Int64
}

func (c *moneyCallCounter) Capture(ctx context.Context, r *getpaid.CaptureRequest) (*getpaid.Observation, error) {
	c.captures.Add(1)
	return c.Broker.Capture(ctx, r)
}

func (c *moneyCallCounter) Refund(ctx context.Context, r *getpaid.RefundRequest) (*getpaid.Observation, error) {
	c.refunds.Add(1)
	return c.Broker.Refund(ctx, r)
}

// django-getpaid scenarios 11 and 12: a capture above the remaining hold, a
// capture without a hold and a refund above paid − refunded are refused
// before the broker is asked, and the payment is left as it was.
func TestMoneyActionsRefusedWithoutBrokerCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	capture := func(e *engine.Engine) func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error) {
		return e.Capture
	}
	refund := func(e *engine.Engine) func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error) {
		return e.Refund
	}
	tests := []struct {
		name    string
		outcome string // the buyer's choice on the paywall
		status  getpaid.Status
		before  func(t *testing.T, e *dummyEnv, p *getpaid.Payment)
		act     func(*engine.Engine) func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error)
		amount  string // "" for the whole
		want    error
	}{
		{"capture above the hold", "pre_auth", getpaid.StatusPreAuth, nil, capture, "100.01", getpaid.ErrInvalidAmount},
		{"capture above what is left of the hold", "pre_auth", getpaid.StatusPreAuth, func(t *testing.T, e *dummyEnv, p *getpaid.Payment) {
			mustAct(t, e.eng.Capture, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "c30"})
		}, capture, "70.01", getpaid.ErrInvalidAmount},
		{"capture of a paid payment, without a hold", "paid", getpaid.StatusPaid, nil, capture, "", getpaid.ErrForbiddenTransition},
		{"capture of a declined payment", "failed", getpaid.StatusFailed, nil, capture, "10.00", getpaid.ErrForbiddenTransition},
		{"refund above what was paid", "paid", getpaid.StatusPaid, nil, refund, "100.01", getpaid.ErrInvalidAmount},
		{"refund above paid minus refunded", "paid", getpaid.StatusPaid, func(t *testing.T, e *dummyEnv, p *getpaid.Payment) {
			mustAct(t, e.eng.Refund, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "r30"})
		}, refund, "70.01", getpaid.ErrInvalidAmount},
		// A refund still pending at the broker (in doubt here) keeps its
		// amount reserved: 100.00 captured, 20.00 refunded and 30.00 under
		// way leave 50.00.
		{"refund above paid minus refunded minus refunds pending", "paid", getpaid.StatusPaid, func(t *testing.T, e *dummyEnv, p *getpaid.Payment) {
			mustAct(t, e.eng.Refund, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("20.00"), IdempotencyKey: "r20"})
			e.refundLost(p, dummy.FaultTimeoutBefore, money("30.00"))
		}, refund, "50.01", getpaid.ErrInvalidAmount},
		{"refund of a payment on hold", "pre_auth", getpaid.StatusPreAuth, nil, refund, "", getpaid.ErrForbiddenTransition},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mc *moneyCallCounter
			e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker {
				mc = &moneyCallCounter{Broker: d}
				return mc
			})
			p := e.pay("o", "100.00", tc.outcome, tc.status)
			if tc.before != nil {
				tc.before(t, e, p)
			}
			before, err := e.eng.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			captures, refunds := mc.captures.Load(), mc.refunds.Load()
			var amount *getpaid.Money
			if tc.amount != "" {
				amount = money(tc.amount)
			}
			_, err = tc.act(e.eng)(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: amount, IdempotencyKey: "refused"})
			if !errors.Is(err, tc.want) {
				t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
			}
			if c, r := mc.captures.Load()-captures, mc.refunds.Load()-refunds; c != 0 || r != 0 {
				t.Fatalf("the broker was asked for %d captures and %d refunds", c, r)
			}
			after, err := e.eng.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.Version != before.Version || after.Status != before.Status || after.Captured != before.Captured ||
				after.Locked != before.Locked || after.Refunded != before.Refunded || after.RefundAsked != before.RefundAsked || after.ActiveOp != "" {
				t.Fatalf("a refused action changed the payment: %+v -> %+v", before, after)
			}
		})
	}
}
