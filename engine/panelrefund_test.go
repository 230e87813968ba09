package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// refBroker is fakeBroker whose refund answer carries the broker's refund
// id, as PayU's, Przelewy24's and Dotpay's do.
type refBroker struct{ *fakeBroker }

func (b refBroker) Refund(ctx context.Context, r *getpaid.RefundRequest) (*getpaid.Observation, error) {
	o, err := b.fakeBroker.Refund(ctx, r)
	if o != nil {
		o.BrokerRef = "rf-" + r.OperationID
	}
	return o, err
}

// A refund made in the broker's panel while getpaid's own refund is still
// pending is recorded without taking that refund's reservation: what is
// left to refund stays captured − refunded − pending, so no refund is asked
// of the broker for money already on its way back, and the pending refund
// still counts once when it ends.
func TestPanelRefundKeepsPendingReservation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fb := &fakeBroker{}
	e := newEngine(t, refBroker{fb}, memory.New())
	p := paidPayment(t, e, fb) // 10.00 PLN
	op := pendingRefund(t, e, p)
	notify := func(o *getpaid.Observation) {
		t.Helper()
		fb.obs = o
		if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	// 5.00 refunded in the panel: not the pending refund (another refund id).
	notify(&getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindRefunded, Amount: p.Money(500), EventID: "refund:panel-1", BrokerRef: "panel-1"})
	q, _ := e.Payment(ctx, p.ID)
	if q.Refunded != 500 || q.RefundAsked != 300 || q.Status != getpaid.StatusRefundStarted {
		t.Fatalf("after the panel refund: %s refunded %d asked %d; want refund_started, 500 refunded, 300 still asked", q.Status, q.Refunded, q.RefundAsked)
	}
	if _, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("2.01"), IdempotencyKey: "r2"}); !errors.Is(err, getpaid.ErrInvalidAmount) {
		t.Fatalf("refund of 2.01 with 2.00 left: %v, want it refused", err)
	}
	// The pending refund ends: counted once, its reservation used up.
	notify(&getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindRefunded, Amount: p.Money(300), EventID: "refund:" + op.BrokerRef, BrokerRef: op.BrokerRef})
	q, _ = e.Payment(ctx, p.ID)
	got, _ := e.Operation(ctx, op.ID)
	if q.Refunded != 800 || q.RefundAsked != 0 || q.Status != getpaid.StatusPartiallyRefunded || got.State != getpaid.OpSucceeded {
		t.Fatalf("after the pending refund ended: %s refunded %d asked %d, operation %s", q.Status, q.Refunded, q.RefundAsked, got.State)
	}
}

// pendingRefund asks refBroker's fake for a refund of 3.00 of p under key
// "r", which the broker accepts and finishes later: the operation, pending
// with the broker's refund id.
func pendingRefund(t *testing.T, e *engine.Engine, p *getpaid.Payment) *getpaid.Operation {
	t.Helper()
	res, err := e.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: money("3.00"), IdempotencyKey: "r"})
	if err != nil || res.Operation.State != getpaid.OpPending || res.Operation.BrokerRef == "" {
		t.Fatalf("refund 3.00: %+v, %v; want it pending with the broker's refund id", res, err)
	}
	return res.Operation
}
