package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// changingStore records a change of the payment (a fraud review) right
// after the engine reads its refunds under way, the first `changes` times
// once armed: another writer between that read and the mutation that
// weighs a failed refund's give-back against it.
type changingStore struct {
	getpaid.Store
	armed   atomic.Bool
	changes atomic.Int64
}

func (s *changingStore) Operations(ctx context.Context, f getpaid.OperationFilter) (*getpaid.OperationPage, error) {
	page, err := s.Store.Operations(ctx, f)
	if f.Kind == getpaid.OpRefund && s.armed.Load() && s.changes.Add(-1) >= 0 {
		fraud := []getpaid.FraudStatus{getpaid.FraudCheck, getpaid.FraudAccepted}[s.changes.Load()%2]
		if _, uerr := s.Store.UpdatePayment(ctx, f.PaymentID, getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) {
			q.Fraud = fraud
			return true, nil
		}}); uerr != nil {
			return nil, uerr
		}
	}
	return page, err
}

// armingBroker arms the store as its refund is refused.
type armingBroker struct {
	*fakeBroker
	s *changingStore
}

func (b armingBroker) Refund(ctx context.Context, r *getpaid.RefundRequest) (*getpaid.Observation, error) {
	b.s.armed.Store(true)
	return b.fakeBroker.Refund(ctx, r)
}

// A refund the broker refuses gives its reservation back even when the
// payment changes between the read of its refunds under way and the
// mutation (the read is taken again, a few times): the refused amount is
// refundable again, the refund failed. Once the payment keeps changing,
// nothing is guessed: the refund stays under way for the reconciler.
func TestRefusedRefundWhileThePaymentChanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		changes int64
		given   bool // the reservation given back at once
	}{
		{"changed once", 1, true},
		{"changed four times", 4, true},
		{"changing on", 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			s := &changingStore{Store: memory.New()}
			s.changes.Store(tc.changes)
			e := newEngine(t, armingBroker{fb, s}, s)
			p := paidPayment(t, e, fb)
			fb.refundErr = &getpaid.BrokerError{Op: "fake: refund", Status: 400, Err: errors.New("refused")}
			_, err := e.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &p.Amount})
			if err == nil {
				t.Fatal("refund accepted")
			}
			q, _ := e.Payment(context.Background(), p.ID)
			page, _ := e.Operations(context.Background(), getpaid.OperationFilter{PaymentID: p.ID, Kind: getpaid.OpRefund})
			if len(page.Operations) != 1 {
				t.Fatalf("%d refunds, want 1", len(page.Operations))
			}
			op := page.Operations[0]
			if tc.given {
				if q.RefundAsked != 0 || op.State != getpaid.OpFailed || !errors.Is(err, getpaid.ErrOperationFailed) {
					t.Fatalf("refused refund: %v; asked %d, operation %s; want its reservation back, the refund failed", err, q.RefundAsked, op.State)
				}
				return
			}
			if q.RefundAsked != p.Amount.Minor || op.State.Final() {
				t.Fatalf("refused refund, the payment changing on: asked %d, operation %s; want it left under way", q.RefundAsked, op.State)
			}
		})
	}
}
