package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// otherAmountRefunder is a broker that reports a refund of another amount
// than asked (by delta minor units).
// With gate set, Refund says it entered and waits for the gate to open
// before the refund is made.
type otherAmountRefunder struct {
	*dummy.Broker
	delta   int64
	entered chan struct{}
	gate    chan struct{}
}

func (b otherAmountRefunder) Refund(ctx context.Context, r *getpaid.RefundRequest) (*getpaid.Observation, error) {
	if b.gate != nil {
		close(b.entered)
		<-b.gate
	}
	o, err := b.Broker.Refund(ctx, r)
	if err == nil && o != nil && o.Kind == getpaid.KindRefunded {
		o.Amount.Minor += b.delta
	}
	return o, err
}

// A refund the broker reported done for another amount than asked counted
// the broker's amount as refunded, and gave back that much of the
// reservations: the rest of its own reservation stayed (the payment stuck
// in refund_started with no refund left at the broker, that money never
// refundable again), or, for more, another refund's reservation (still in
// doubt at the broker) was given back, letting a later refund ask the broker
// for more than was captured. The operation's own reservation now ends with
// it, whatever amount the broker reports; what is refunded is the broker's.
func TestRefundDoneForAnotherAmount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name         string
		delta        int64
		inDoubtFirst bool  // a refund of 30.00 in doubt first keeps its reservation
		refunded     int64 // what the broker reported
		asked        int64 // reservations left
		status       getpaid.Status
	}{
		{"less than asked", -1000, false, 2000, 0, getpaid.StatusPartiallyRefunded},
		{"more than asked, another refund in doubt", +1000, true, 4000, 3000, getpaid.StatusRefundStarted},
		// 50.00 reported for a refund of 30.00 leaves 50.00 refundable: the
		// refund in doubt keeps its whole 30.00, not what is left of it
		// once the broker's amount is set against both reservations.
		{"much more than asked, another refund in doubt", +2000, true, 5000, 3000, getpaid.StatusRefundStarted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ob *otherAmountRefunder
			e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker {
				ob = &otherAmountRefunder{Broker: d}
				return ob
			})
			p := e.pay("o", "100.00", "paid", getpaid.StatusPaid)
			if tc.inDoubtFirst {
				_ = e.d.SetFault(dummy.FaultTimeoutBefore)
				if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "doubt"}); err == nil {
					t.Fatal("refund in doubt: no error")
				}
				_ = e.d.SetFault(dummy.FaultNone)
			}
			ob.delta = tc.delta
			res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "r"})
			if err != nil || res.Operation.State != getpaid.OpSucceeded {
				t.Fatalf("refund: %+v, %v", res, err)
			}
			q, err := e.eng.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if q.Refunded != tc.refunded || q.RefundAsked != tc.asked || q.Status != tc.status {
				t.Fatalf("after the refund: refunded %d, reserved %d, %s; want %d, %d, %s",
					q.Refunded, q.RefundAsked, q.Status, tc.refunded, tc.asked, tc.status)
			}
		})
	}
}

// A refund an operator resolved as failed while its broker call was still
// under way (taken for lost by another process: submitting longer than
// SubmittingAfter) gave
// its reservation back; the broker's answer then said it was
// done, which is recorded (the money went back), but it gave back its amount
// of the reservations again: another refund's, still in doubt at the
// broker, so a later refund could ask for more than was captured. The late
// fact now counts the money and leaves the reservations as they are.
func TestRefundDoneAfterResolvedFailed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ob := &otherAmountRefunder{}
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now}, func(d *dummy.Broker) getpaid.Broker {
		ob.Broker = d
		return ob
	})
	p := e.pay("o", "100.00", "paid", getpaid.StatusPaid)
	_ = e.d.SetFault(dummy.FaultTimeoutBefore)
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "doubt"}); err == nil {
		t.Fatal("refund in doubt: no error")
	}
	_ = e.d.SetFault(dummy.FaultNone)
	ob.entered, ob.gate = make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "late"})
		done <- err
	}()
	<-ob.entered
	now.Advance(3 * time.Minute) // the call taken for lost by another process
	page, err := e.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID, IdempotencyKey: "late"})
	if err != nil || len(page.Operations) != 1 {
		t.Fatalf("the late refund's operation: %+v, %v", page, err)
	}
	if _, err := e.another(now.Now).ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: page.Operations[0].ID, As: getpaid.OpFailed, Note: "not in the panel", By: "t"}); err != nil {
		t.Fatalf("resolve as failed: %v", err)
	}
	close(ob.gate)
	<-done
	q, err := e.eng.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.Refunded != 3000 || q.RefundAsked != 3000 || q.Status != getpaid.StatusRefundStarted {
		t.Fatalf("after the late refund's answer: refunded %d, reserved %d, %s; want 3000, 3000 (the refund in doubt), refund_started",
			q.Refunded, q.RefundAsked, q.Status)
	}
}
