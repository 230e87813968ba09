package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// silentBroker is the dummy broker answering every capture, release and
// refund with answer, without doing it: a copy of answer, or nothing at all
// when it is nil (accepted, with no outcome said). Asked about a refund, it
// knows none.
type silentBroker struct {
	*dummy.Broker
	answer *getpaid.Observation
}

func (b *silentBroker) said() *getpaid.Observation {
	if b.answer == nil {
		return nil
	}
	o := *b.answer
	return &o
}

func (b *silentBroker) Capture(context.Context, *getpaid.CaptureRequest) (*getpaid.Observation, error) {
	return b.said(), nil
}

func (b *silentBroker) Release(context.Context, *getpaid.ReleaseRequest) (*getpaid.Observation, error) {
	return b.said(), nil
}

func (b *silentBroker) Refund(context.Context, *getpaid.RefundRequest) (*getpaid.Observation, error) {
	return b.said(), nil
}

func (b *silentBroker) FetchOperation(_ context.Context, r *getpaid.OperationRequest) (*getpaid.Observation, error) {
	return nil, fmt.Errorf("silent: refund %s: %w", r.Operation.ID, getpaid.ErrNotFound)
}

// A broker that answers a money operation without saying how it ended
// (accepted with no outcome, nothing new, or still pending) leaves the
// operation pending, for its notification or the reconciler: never
// succeeded (money counted that may not have moved) nor failed (a hold
// freed, or a refund's amount refundable again, while the broker may still
// do it) by guess.
func TestSilentAnswerLeavesTheOperationPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	answers := []struct {
		name string
		obs  *getpaid.Observation
	}{
		{"accepted with no outcome", nil},
		{"nothing new", &getpaid.Observation{Kind: getpaid.KindNone, BrokerStatus: "ACCEPTED"}},
		{"outcome unknown", &getpaid.Observation{Kind: getpaid.KindPending, BrokerStatus: "PENDING"}},
	}
	kinds := []struct {
		kind    getpaid.OperationKind
		outcome string // the buyer's choice on the paywall
		from    getpaid.Status
		status  getpaid.Status // the payment's, with the operation pending
		asked   int64          // reserved for refunds
	}{
		{getpaid.OpCapture, "pre_auth", getpaid.StatusPreAuth, getpaid.StatusPreAuth, 0},
		{getpaid.OpRelease, "pre_auth", getpaid.StatusPreAuth, getpaid.StatusPreAuth, 0},
		{getpaid.OpRefund, "paid", getpaid.StatusPaid, getpaid.StatusRefundStarted, 10000},
	}
	for _, k := range kinds {
		for _, a := range answers {
			t.Run(string(k.kind)+", "+a.name, func(t *testing.T) {
				t.Parallel()
				e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker {
					return &silentBroker{Broker: d, answer: a.obs}
				})
				p := e.pay("o", "100.00", k.outcome, k.from)
				act := map[getpaid.OperationKind]func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error){
					getpaid.OpCapture: e.eng.Capture, getpaid.OpRelease: e.eng.Release, getpaid.OpRefund: e.eng.Refund,
				}[k.kind]
				res, err := act(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
				if err != nil {
					t.Fatalf("%s answered %s: %v, want it accepted", k.kind, a.name, err)
				}
				if res.Operation.State != getpaid.OpPending {
					t.Fatalf("%s answered %s: operation %s, want pending", k.kind, a.name, res.Operation.State)
				}
				op, err := e.eng.Operation(ctx, res.Operation.ID)
				if err != nil || op.State != getpaid.OpPending {
					t.Fatalf("stored operation: %+v, %v; want pending", op, err)
				}
				q, err := e.eng.Payment(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if q.Status != k.status || q.Captured != p.Captured || q.Locked != p.Locked || q.Refunded != 0 || q.RefundAsked != k.asked {
					t.Fatalf("payment %s captured %d locked %d refunded %d reserved %d; want %s %d %d 0 %d",
						q.Status, q.Captured, q.Locked, q.Refunded, q.RefundAsked, k.status, p.Captured, p.Locked, k.asked)
				}
				if k.kind != getpaid.OpRefund && q.ActiveOp != op.ID {
					// The hold is still the operation's: no other capture
					// or release may reach the broker meanwhile.
					t.Fatalf("payment's operation in flight %q, want %s", q.ActiveOp, op.ID)
				}
			})
		}
	}
}

// A refund the broker accepted (pending) that a later check no longer finds
// at the broker is odd, not failed: failed would make its amount refundable
// again while the broker may still pay it out (the money refunded twice),
// and succeeded would count money that may never have gone back. It stays
// pending, reserved, with what the check found kept for an operator.
func TestAcceptedRefundTheBrokerNoLongerFindsIsNotGuessed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now}, func(d *dummy.Broker) getpaid.Broker {
		return &silentBroker{Broker: d}
	})
	p := e.pay("o", "100.00", "paid", getpaid.StatusPaid)
	res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("40.00"), IdempotencyKey: "k"})
	if err != nil || res.Operation.State != getpaid.OpPending {
		t.Fatalf("refund accepted: %+v, %v; want pending", res, err)
	}
	// Past the first check of a pending operation, and past SubmittingAfter
	// (before which "nothing at the broker" is never taken for failed).
	now.Advance(11 * time.Minute)
	n, err := e.eng.Reconcile(ctx, 10)
	if err != nil || n != 0 {
		t.Fatalf("reconcile: settled %d, %v; want none settled", n, err)
	}
	op, err := e.eng.Operation(ctx, res.Operation.ID)
	if err != nil {
		t.Fatal(err)
	}
	if op.State != getpaid.OpPending || op.Attempts != 1 || !strings.Contains(op.LastCheck, "no longer knows") {
		t.Fatalf("after the check: operation %s, %d checks, last check %q; want pending, 1, the broker no longer knows it", op.State, op.Attempts, op.LastCheck)
	}
	q, err := e.eng.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.Status != getpaid.StatusRefundStarted || q.RefundAsked != 4000 || q.Refunded != 0 {
		t.Fatalf("payment %s, reserved %d, refunded %d; want refund_started, 4000, 0", q.Status, q.RefundAsked, q.Refunded)
	}
}
