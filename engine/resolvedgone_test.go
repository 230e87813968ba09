package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An operator resolved as done a refund in doubt that the broker never got;
// then a refund made in the broker's panel was notified (the operator's own,
// made by hand, or another). The broker's lookup said it has no refund of
// that operation, but the panel refund was counted on top without a word:
// the payment's refunded total exceeded what the broker paid back, and
// nothing told an operator. The broker's refund still counts (its word on
// money), but the contradiction is logged at ERROR naming both and noted
// on the operation, which is flagged for an operator until one acknowledges
// it (resolves it as succeeded, as it is).
func TestResolvedRefundTheBrokerNeverMadeContradicted(t *testing.T) {
	t.Parallel()
	for _, panel := range []int64{300, 200} { // the same amount, another
		logs := &lockedBuffer{}
		b := &payuLike{refunds: map[string]string{}, amounts: map[string]int64{}, status: map[string]string{}}
		e := newDummyEnv(t, dummy.Config{}, engine.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))},
			func(d *dummy.Broker) getpaid.Broker { b.Broker = d; return b })
		ctx := context.Background()
		p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
		_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("3.00"), IdempotencyKey: "a"})
		var oe *getpaid.OperationError
		if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
			t.Fatalf("refund a: %v, want it in doubt", err)
		}
		b.mu.Lock()
		delete(b.refunds, oe.Op.ID) // the broker never got it
		b.mu.Unlock()
		if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "refunded by hand", By: "ops"}); err != nil {
			t.Fatal(err)
		}
		b.mu.Lock()
		b.amounts["rf9"], b.status["rf9"] = panel, "FINALIZED"
		b.mu.Unlock()
		if _, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " rf9 FINALIZED")}); err != nil {
			t.Fatalf("panel refund of %d: %v", panel, err)
		}
		if q, _ := e.eng.Payment(ctx, p.ID); q.Refunded != 300+panel {
			t.Fatalf("panel refund of %d: refunded %d, want %d (the broker's refund counts)", panel, q.Refunded, 300+panel)
		}
		var line string
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, "level=ERROR") && strings.Contains(l, oe.Op.ID) && strings.Contains(l, "rf9") {
				line = l
			}
		}
		if line == "" {
			t.Fatalf("panel refund of %d: logged\n%s\nwant an ERROR naming %s and rf9", panel, logs.String(), oe.Op.ID)
		}
		if op, _ := e.eng.Operation(ctx, oe.Op.ID); op.State != getpaid.OpSucceeded || !strings.Contains(op.Error, "rf9") {
			t.Fatalf("panel refund of %d: operation %s, error %q; want it succeeded (counted), its error naming rf9", panel, op.State, op.Error)
		}
		flaggedUntilAcknowledged(t, e, oe.Op.ID, getpaid.OpSucceeded)
	}
}
