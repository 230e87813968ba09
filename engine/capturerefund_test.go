package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// captureCounter is the dummy broker counting the captures it is asked for;
// with pendingRefunds its refunds are accepted and left pending, as PayU and
// Przelewy24 answer them (finished later by a notification).
type captureCounter struct {
	*dummy.Broker
	captures       atomic.Int64
	pendingRefunds bool
}

func (c *captureCounter) Capture(ctx context.Context, r *getpaid.CaptureRequest) (*getpaid.Observation, error) {
	c.captures.Add(1)
	return c.Broker.Capture(ctx, r)
}

func (c *captureCounter) Refund(ctx context.Context, r *getpaid.RefundRequest) (*getpaid.Observation, error) {
	if c.pendingRefunds {
		return &getpaid.Observation{Kind: getpaid.KindRefundStarted, Amount: r.Amount, EventID: "started:" + r.OperationID}, nil
	}
	return c.Broker.Refund(ctx, r)
}

// django-getpaid scenario 12: no capture after a refund, or while one is
// pending — refused as a forbidden transition, with no broker call, and
// nothing changes.
func TestNoCaptureAfterOrDuringARefund(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		pending bool
		outcome string // the buyer's choice on the paywall
		before  func(t *testing.T, e *engine.Engine, p *getpaid.Payment)
		status  getpaid.Status
	}{
		{"after a full refund", false, "paid", func(t *testing.T, e *engine.Engine, p *getpaid.Payment) {
			mustAct(t, e.Refund, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r"})
		}, getpaid.StatusRefunded},
		{"after a partial refund", false, "paid", func(t *testing.T, e *engine.Engine, p *getpaid.Payment) {
			mustAct(t, e.Refund, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "r"})
		}, getpaid.StatusPartiallyRefunded},
		{"while a refund is pending", true, "paid", func(t *testing.T, e *engine.Engine, p *getpaid.Payment) {
			mustAct(t, e.Refund, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "r"})
		}, getpaid.StatusRefundStarted},
		{"after a partial capture, a release and a refund", false, "pre_auth", func(t *testing.T, e *engine.Engine, p *getpaid.Payment) {
			mustAct(t, e.Capture, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "c"})
			mustAct(t, e.Release, getpaid.ActionRequest{PaymentID: p.ID})
			mustAct(t, e.Refund, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r"})
		}, getpaid.StatusRefunded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cc *captureCounter
			e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker {
				cc = &captureCounter{Broker: d, pendingRefunds: tc.pending}
				return cc
			})
			want := getpaid.StatusPaid
			if tc.outcome == "pre_auth" {
				want = getpaid.StatusPreAuth
			}
			p := e.pay("o", "100.00", tc.outcome, want)
			tc.before(t, e.eng, p)
			before, err := e.eng.Payment(ctx, p.ID)
			if err != nil || before.Status != tc.status {
				t.Fatalf("before the capture: %+v (%v), want %s", before, err, tc.status)
			}
			calls := cc.captures.Load()
			for i, amount := range []*getpaid.Money{nil, money("1.00")} { // the whole hold, and part of it
				_, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: amount, IdempotencyKey: fmt.Sprintf("late-capture-%d", i)})
				if !errors.Is(err, getpaid.ErrForbiddenTransition) {
					t.Fatalf("capture %v: %v, want ErrForbiddenTransition", amount, err)
				}
			}
			if n := cc.captures.Load() - calls; n != 0 {
				t.Fatalf("the broker was asked for %d captures", n)
			}
			after, _ := e.eng.Payment(ctx, p.ID)
			if after.Version != before.Version || after.Status != before.Status || after.Captured != before.Captured {
				t.Fatalf("a refused capture changed the payment: %+v -> %+v", before, after)
			}
		})
	}
}

func mustAct(t *testing.T, act func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error), r getpaid.ActionRequest) {
	t.Helper()
	if _, err := act(context.Background(), r); err != nil {
		t.Fatalf("%+v: %v", r, err)
	}
}
