package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// An operation in doubt whose backend is no longer configured (removed or
// renamed after the outage) cannot be asked about, so only an operator can
// settle it: the decision was refused "unknown backend", leaving it in
// doubt for good (its reservation kept, the payment stuck). The decision
// needs no broker, and is recorded.
func TestResolveOperationOfARemovedBackend(t *testing.T) {
	t.Parallel()
	for _, as := range []getpaid.OperationState{getpaid.OpFailed, getpaid.OpSucceeded} {
		t.Run(string(as), func(t *testing.T) {
			t.Parallel()
			store := memory.New()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: store})
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			_ = e.d.SetFault(dummy.FaultTimeoutBefore)
			_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("4.00"), IdempotencyKey: "k"})
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) {
				t.Fatalf("refund with a lost answer: %v", err)
			}
			// The same database, served with the dummy backend gone.
			other, err := dummy.New(dummy.Config{Secret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = other.Close() })
			reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "other", Broker: other})
			if err != nil {
				t.Fatal(err)
			}
			eng, err := engine.New(engine.Config{Store: store, Registry: reg, BaseURL: "http://127.0.0.1:1", Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = eng.Close() })
			res, err := eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: as, Note: "checked in the old account's panel", By: "alice"})
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			wantStatus, wantRefunded := getpaid.StatusPaid, int64(0)
			if as == getpaid.OpSucceeded {
				wantStatus, wantRefunded = getpaid.StatusPartiallyRefunded, 400
			}
			if res.Operation.State != as || res.Operation.ResolvedBy != "alice" || res.Payment.Status != wantStatus ||
				res.Payment.Refunded != wantRefunded || res.Payment.RefundAsked != 0 {
				t.Fatalf("resolved: operation %s by %q, payment %s refunded %d asked %d; want %s, %s, %d refunded, nothing asked",
					res.Operation.State, res.Operation.ResolvedBy, res.Payment.Status, res.Payment.Refunded, res.Payment.RefundAsked, as, wantStatus, wantRefunded)
			}
		})
	}
}
