package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// FlagAfter lowered (flag_operations_after, then a restart): an operation
// in doubt already older than the new value is flagged at the next round,
// not when the check the old value scheduled comes (up to a backoff step,
// an hour, later).
func TestLoweredFlagAfterFlagsOlderOperations(t *testing.T) {
	t.Parallel()
	now := &clock{}
	backoff := []time.Duration{10 * time.Second, time.Hour}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{
		Backoff: backoff, FlagAfter: 24 * time.Hour}},
		func(d *dummy.Broker) getpaid.Broker { return blindLookup{d} })
	ctx := context.Background()
	p := e.pay("o-lowered", "10.00", "paid", getpaid.StatusPaid)
	_ = e.d.SetFault(dummy.FaultTimeoutBefore)
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) {
		t.Fatalf("refund with a lost answer: %v", err)
	}
	for _, step := range []time.Duration{11 * time.Second, 2 * time.Minute} {
		now.Advance(step) // its checks: at 11 s, and at 2 min (SubmittingAfter); the next is an hour on
		if _, err := e.eng.Reconcile(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	now.Advance(10 * time.Minute)
	restarted, err := engine.New(engine.Config{Store: e.store, Registry: e.reg, BaseURL: e.srv.URL, Now: now.Now,
		Logger: slog.New(slog.DiscardHandler), Reconcile: engine.ReconcileConfig{Backoff: backoff, FlagAfter: 5 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = restarted.Close() })
	now.Advance(6 * time.Second) // a round or so after the restart
	if _, err := restarted.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	op, err := restarted.Operation(ctx, oe.Op.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !op.Flagged {
		t.Fatalf("12 min after it began, with FlagAfter lowered to 5 min, the operation in doubt is not flagged (next check %s from now)",
			op.NextCheckAt.Sub(now.Now()).Round(time.Second))
	}
}
