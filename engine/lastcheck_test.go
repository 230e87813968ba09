package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An operation the reconciler cannot settle says why, for the operator who
// must decide: what the last check with the broker found (here: the lookup
// is down), beside the error that left it in doubt, which stays as it was.
// Before, that reason was only in the server's log, and the operator saw the
// first call's error alone.
func TestLastCheckKeptForOperators(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{
		Backoff: []time.Duration{10 * time.Second}, FlagAfter: time.Minute}},
		func(d *dummy.Broker) getpaid.Broker { return blindLookup{d} })
	ctx := context.Background()
	p := e.pay("o-why", "10.00", "paid", getpaid.StatusPaid)
	_ = e.d.SetFault(dummy.FaultTimeoutBefore)
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) {
		t.Fatalf("refund with a lost answer: %v", err)
	}
	first := oe.Op.Error
	if oe.Op.LastCheck != "" {
		t.Fatalf("before any check: last check %q", oe.Op.LastCheck)
	}
	op, _, _ := e.reconcileAfter(t, now, 11*time.Second, oe.Op.ID, p.ID)
	if !strings.Contains(op.LastCheck, "the lookup is down") || op.Error != first {
		t.Fatalf("after a check that settled nothing: last check %q, error %q; want the lookup's failure, and %q kept", op.LastCheck, op.Error, first)
	}
	op, _, _ = e.reconcileAfter(t, now, time.Minute, oe.Op.ID, p.ID)
	if !op.Flagged || !strings.Contains(op.LastCheck, "the lookup is down") {
		t.Fatalf("flagged %v, last check %q", op.Flagged, op.LastCheck)
	}
	// Settled (here by an operator), it is no longer in doubt: the reason
	// it was goes, so no page shows a stale one beside a final state.
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: op.ID, As: getpaid.OpFailed, Note: "not in the panel", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	if op, _ = e.eng.Operation(ctx, op.ID); op.State != getpaid.OpFailed || op.LastCheck != "" {
		t.Fatalf("resolved: state %s, last check %q; want failed and none", op.State, op.LastCheck)
	}
}
