package engine_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// missedKey answers the next lookup of an idempotency key as unused, and
// the next read of the payment with a copy taken earlier: the reads of a
// request that the first request with the same key overtook.
type missedKey struct {
	staleFirstRead
	miss atomic.Bool
}

func (s *missedKey) Operations(ctx context.Context, f getpaid.OperationFilter) (*getpaid.OperationPage, error) {
	if f.IdempotencyKey != "" && s.miss.Swap(false) {
		return &getpaid.OperationPage{}, nil
	}
	return s.staleFirstRead.Operations(ctx, f)
}

// A retry with the same key that raced the first request (it found the key
// unused, then the first one's operation took what it asks for) is answered
// with the first one's operation, as any retry is: not refused as if it
// asked for more than is left, or for a hold that is gone.
func TestSameKeyOvertakenIsReplayed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, kind := range []getpaid.OperationKind{getpaid.OpRefund, getpaid.OpCapture} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			st := &missedKey{staleFirstRead: staleFirstRead{Store: memory.New()}}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: st})
			act, status := e.eng.Refund, getpaid.StatusPaid
			if kind == getpaid.OpCapture {
				act, status = e.eng.Capture, getpaid.StatusPreAuth
			}
			p := e.pay("o", "10.00", map[getpaid.Status]string{getpaid.StatusPaid: "paid", getpaid.StatusPreAuth: "pre_auth"}[status], status)
			before, err := st.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			first, err := act(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			st.miss.Store(true)
			st.stale.Store(before)
			again, err := act(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
			if err != nil || again.Operation.ID != first.Operation.ID {
				t.Fatalf("the same request with the same key: %+v, %v; want operation %s again", again, err, first.Operation.ID)
			}
			if kind == getpaid.OpRefund {
				if n, _ := e.d.Refunds(p.ID); n != 1 {
					t.Fatalf("the broker refunded %d times, want once", n)
				}
			}
		})
	}
}
