package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// cancelledOrder is the dummy broker reporting, as PayU does, an order whose
// hold ended with nothing captured (released, or let expire) as failed
// (CANCELED), not as released: PayU's status does not say which.
type cancelledOrder struct{ *dummy.Broker }

func (b cancelledOrder) FetchStatus(ctx context.Context, req *getpaid.StatusRequest) (*getpaid.Observation, error) {
	o, err := b.Broker.FetchStatus(ctx, req)
	if err == nil && o.Kind == getpaid.KindReleased {
		o.Kind, o.BrokerStatus = getpaid.KindFailed, "CANCELED"
	}
	return o, err
}

// A capture, release or cancel whose answer was lost is resolved by the
// reconciler also when the broker's status says the order was cancelled
// (PayU's CANCELED, read as failed): a release or cancel asked for is then
// done (the payment cancelled, as the CANCELED notification leaves it), and a
// capture is not (the payment, its hold gone, is failed); none is left in
// doubt for an operator.
func TestHoldInDoubtOfACancelledOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fault  string
		do     func(*engine.Engine, string) error
		expire bool // the hold ends at the broker (PayU lets it expire)
		unpaid bool // the payment is left prepared, not held
		want   getpaid.OperationState
		status getpaid.Status
	}{
		{"release applied, answer lost", dummy.FaultTimeoutAfter, func(e *engine.Engine, id string) error {
			_, err := e.Release(context.Background(), getpaid.ActionRequest{PaymentID: id})
			return err
		}, false, false, getpaid.OpSucceeded, getpaid.StatusCancelled},
		{"cancel applied, answer lost", dummy.FaultTimeoutAfter, func(e *engine.Engine, id string) error {
			_, err := e.Cancel(context.Background(), getpaid.ActionRequest{PaymentID: id})
			return err
		}, false, true, getpaid.OpSucceeded, getpaid.StatusCancelled},
		{"capture not made, the hold expired", dummy.FaultTimeoutBefore, func(e *engine.Engine, id string) error {
			_, err := e.Capture(context.Background(), getpaid.ActionRequest{PaymentID: id, IdempotencyKey: "c"})
			return err
		}, true, false, getpaid.OpFailed, getpaid.StatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now}, func(d *dummy.Broker) getpaid.Broker { return cancelledOrder{d} })
			ctx := context.Background()
			var p *getpaid.Payment
			if tc.unpaid {
				var err error
				if p, err = e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("100.00", "PLN")}); err != nil {
					t.Fatal(err)
				}
			} else {
				p = e.pay("o", "100.00", "pre_auth", getpaid.StatusPreAuth)
			}
			if err := e.d.SetFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			err := tc.do(e.eng, p.ID)
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) {
				t.Fatalf("with the answer lost: %v, want the operation in doubt", err)
			}
			_ = e.d.SetFault(dummy.FaultNone)
			if tc.expire {
				if _, err := e.d.Release(ctx, &getpaid.ReleaseRequest{Payment: p}); err != nil {
					t.Fatal(err)
				}
			}
			now.Advance(3 * time.Minute) // past the first check and SubmittingAfter
			if n, err := e.eng.Reconcile(ctx, 10); err != nil || n != 1 {
				t.Fatalf("reconcile: resolved %d, %v; want the operation resolved", n, err)
			}
			op, _ := e.eng.Operation(ctx, oe.Op.ID)
			q, _ := e.eng.Payment(ctx, p.ID)
			if op.State != tc.want || q.Status != tc.status || q.ActiveOp != "" {
				t.Fatalf("after reconciling: operation %s, payment %s (active %q); want %s, %s", op.State, q.Status, q.ActiveOp, tc.want, tc.status)
			}
		})
	}
}

// A capture that never reached the dummy (in doubt) while its hold, or
// what was left of it after a partial capture, was released at the broker:
// the reconciler fails the capture and records the release. It had stayed
// in doubt forever (the dummy reports released, which the capture's fate
// did not know), or failed leaving the released rest held in getpaid.
func TestCaptureInDoubtOfAReleasedHold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		first    string // captured before the capture in doubt, "" for none
		status   getpaid.Status
		captured int64
	}{
		{"nothing captured", "", getpaid.StatusCancelled, 0},
		{"part captured before", "40.00", getpaid.StatusPartiallyPaid, 4000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now})
			ctx := context.Background()
			p := e.pay("o", "100.00", "pre_auth", getpaid.StatusPreAuth)
			if tc.first != "" {
				if _, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money(tc.first), IdempotencyKey: "c1"}); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.d.SetFault(dummy.FaultTimeoutBefore); err != nil {
				t.Fatal(err)
			}
			_, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "c2"})
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) {
				t.Fatalf("with the capture lost: %v, want it in doubt", err)
			}
			_ = e.d.SetFault(dummy.FaultNone)
			held, _ := e.eng.Payment(ctx, p.ID)
			if _, err := e.d.Release(ctx, &getpaid.ReleaseRequest{Payment: held}); err != nil {
				t.Fatal(err)
			}
			now.Advance(3 * time.Minute) // past the first check and SubmittingAfter
			if n, err := e.eng.Reconcile(ctx, 10); err != nil || n != 1 {
				t.Fatalf("reconcile: resolved %d, %v; want the capture resolved", n, err)
			}
			op, _ := e.eng.Operation(ctx, oe.Op.ID)
			q, _ := e.eng.Payment(ctx, p.ID)
			if op.State != getpaid.OpFailed || q.Status != tc.status || q.Captured != tc.captured || q.Locked != 0 || q.ActiveOp != "" {
				t.Fatalf("after reconciling: capture %s; payment %s captured %d locked %d (active %q); want failed, %s captured %d, nothing held",
					op.State, q.Status, q.Captured, q.Locked, q.ActiveOp, tc.status, tc.captured)
			}
		})
	}
}
