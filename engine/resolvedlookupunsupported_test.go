package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An operator resolved a refund in doubt as done; then the broker's lookup
// became unsupported (its API credentials removed: Dotpay without seller
// API credentials answers ErrNotSupported). A refund made in the broker's
// panel was then refused on every delivery, held back as possibly the
// resolved one while "the broker cannot be asked", which it never can be:
// never counted. A lookup that can never answer is no lookup, as for a
// broker with none: the refund counts.
func TestResolvedRefundLookupUnsupportedPanelRefundCounted(t *testing.T) {
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
	b.mu.Lock()
	b.nolook = true
	b.amounts["rf9"], b.status["rf9"] = 200, "FINALIZED" // made in the panel
	b.mu.Unlock()
	for i := 0; i < 2; i++ { // delivered again: the same answer
		_, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " rf9 FINALIZED")})
		if err != nil {
			t.Fatalf("panel refund's notification (delivery %d), the lookup unsupported: %v; want it counted", i+1, err)
		}
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Refunded != 500 || q.Status != getpaid.StatusPartiallyRefunded {
		t.Fatalf("%s with %d refunded, want partially_refunded with 500 (3.00 resolved, 2.00 in the panel)", q.Status, q.Refunded)
	}
}
