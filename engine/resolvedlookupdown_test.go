package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An operator resolved a refund in doubt as done (seen in the broker's
// panel); the broker's notification of that refund, naming it by the
// broker's id only, came while the broker could not be asked which refund
// it is. It was counted as a refund made in the broker's panel: 6.00
// refunded of a payment whose one refund was 3.00. It is not counted while
// it may be the refund the operator counted: refused, the broker delivers
// it again, and once it can be asked it is found to be that refund.
func TestResolvedRefundNotifiedWhileLookupDownCountedOnce(t *testing.T) {
	t.Parallel()
	b := &payuLike{refunds: map[string]string{}, amounts: map[string]int64{}, status: map[string]string{}}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { b.Broker = d; return b })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("3.00"), IdempotencyKey: "a"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund a: %v, want it in doubt", err)
	}
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	notify := func() error {
		_, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " rf1 FINALIZED")})
		return err
	}
	b.mu.Lock()
	b.down = true
	b.mu.Unlock()
	var be *getpaid.BrokerError
	if err := notify(); !errors.As(err, &be) {
		t.Fatalf("notification with the lookup down: %v; want the lookup's broker error (answered 503, sent again)", err)
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Refunded != 300 {
		t.Fatalf("after the notification with the lookup down: %s with %d refunded, want 300: the refund the operator resolved counted once", q.Status, q.Refunded)
	}
	b.mu.Lock()
	b.down = false
	b.mu.Unlock()
	if err := notify(); err != nil { // delivered again, the broker answering
		t.Fatalf("notification delivered again: %v", err)
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Refunded != 300 || q.Status != getpaid.StatusPartiallyRefunded {
		t.Fatalf("after the notification delivered again: %s with %d refunded, want partially_refunded with 300", q.Status, q.Refunded)
	}
}
