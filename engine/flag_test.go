package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// lateLookup is a broker whose operation lookup is down until it is back.
type lateLookup struct {
	*dummy.Broker
	back *atomic.Bool
}

func (l lateLookup) FetchOperation(ctx context.Context, r *getpaid.OperationRequest) (*getpaid.Observation, error) {
	if !l.back.Load() {
		return blindLookup{l.Broker}.FetchOperation(ctx, r)
	}
	return l.Broker.FetchOperation(ctx, r)
}

// An operation flagged for an operator ("needs a decision" in the console,
// listed by `getpaid operations list --flagged`) is no longer flagged once
// the broker settled it: the reconciler's answer, as an operator's
// resolution does, takes the flag off. It stayed flagged, so a refund the
// broker had shown done (or not done) was still listed for a decision, and
// an operator resolving it got a conflict.
func TestFlagClearedWhenTheBrokerSettles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault string
		want  getpaid.OperationState
	}{
		{"done at the broker", dummy.FaultTimeoutAfter, getpaid.OpSucceeded},
		{"never done", dummy.FaultTimeoutBefore, getpaid.OpFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			back := &atomic.Bool{}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{
				Backoff: []time.Duration{10 * time.Second}, FlagAfter: time.Minute}},
				func(d *dummy.Broker) getpaid.Broker { return lateLookup{d, back} })
			ctx := context.Background()
			p := e.pay("o-flag", "10.00", "paid", getpaid.StatusPaid)
			_ = e.d.SetFault(tc.fault)
			_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) {
				t.Fatalf("refund with a lost answer: %v", err)
			}
			_ = e.d.SetFault(dummy.FaultNone)
			op, _, _ := e.reconcileAfter(t, now, 2*time.Minute, oe.Op.ID, p.ID)
			if !op.Flagged || op.State != getpaid.OpUnknown {
				t.Fatalf("with the lookup down for 2 min: %s, flagged %v; want unknown and flagged", op.State, op.Flagged)
			}
			back.Store(true)
			op, q, _ := e.reconcileAfter(t, now, time.Minute, oe.Op.ID, p.ID)
			if op.State != tc.want {
				t.Fatalf("once the lookup is back: %s, want %s (payment %s)", op.State, tc.want, q.Status)
			}
			if op.Flagged {
				t.Errorf("the broker settled the operation (%s), yet it is still flagged for an operator", op.State)
			}
			page, err := e.eng.Operations(ctx, getpaid.OperationFilter{FlaggedOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Operations) != 0 {
				t.Errorf("operations listed as flagged: %d, want none", len(page.Operations))
			}
		})
	}
}
