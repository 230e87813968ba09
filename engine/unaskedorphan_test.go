package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// silentLookup is a broker whose lookups get no answer at all (a timeout).
type silentLookup struct{ *dummy.Broker }

func (silentLookup) FetchOperation(context.Context, *getpaid.OperationRequest) (*getpaid.Observation, error) {
	return nil, &getpaid.BrokerError{Op: "dummy: look up operation", Retryable: true, Err: errors.New("timed out")}
}

// TestOrphansInDoubtWhileTheirBrokerIsSilent: refunds a dead process left
// submitting are in doubt once SubmittingAfter has passed, whether or not
// their broker could be asked. With the broker giving no answer, only the
// first checked became unknown; the others, not asked in that round (their
// broker had just not answered), stayed submitting, and became unknown one
// per claim (5 min): the fifth after 22 minutes, missing meanwhile from the
// console's "Needs attention" page, from getpaid_operations_in_doubt and
// from operations list --state unknown, as if still at the broker.
func TestOrphansInDoubtWhileTheirBrokerIsSilent(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now},
		func(d *dummy.Broker) getpaid.Broker { return silentLookup{d} })
	ctx := context.Background()
	ids := orphanRefunds(t, e, now)
	now.Advance(2*time.Minute + time.Second)
	if _, err := e.eng.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	page, err := e.eng.Operations(ctx, getpaid.OperationFilter{State: getpaid.OpUnknown})
	if err != nil {
		t.Fatal(err)
	}
	inDoubt := 0
	for _, op := range page.Operations {
		if ids[op.ID] {
			inDoubt++
			if op.Error == "" {
				t.Errorf("%s in doubt says nothing of why", op.ID)
			}
		}
	}
	if inDoubt != len(ids) {
		t.Errorf("%d of %d refunds left submitting by a dead process are in doubt (unknown) after the reconciler's round, want all", inDoubt, len(ids))
	}
}

// orphanRefunds records three refunds left submitting, as operate records
// them before it calls the broker, by a process that then died.
func orphanRefunds(t *testing.T, e *dummyEnv, now *clock) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, order := range []string{"o-1", "o-2", "o-3"} {
		p := e.pay(order, "10.00", "paid", getpaid.StatusPaid)
		op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: "dummy", Kind: getpaid.OpRefund,
			State: getpaid.OpSubmitting, Amount: p.Amount, CreatedAt: now.Now(), UpdatedAt: now.Now()}
		if _, err := e.store.UpdatePayment(context.Background(), p.ID, getpaid.Mutation{
			Apply:     func(*getpaid.Payment) (bool, error) { return false, nil },
			Operation: &getpaid.OperationChange{New: op},
		}); err != nil {
			t.Fatal(err)
		}
		ids[op.ID] = true
	}
	return ids
}

// TestOrphansPastFlagAfterFlaggedAtOnce: refunds a dead process left
// submitting, taken up only once FlagAfter had passed (the servers down
// meanwhile), with their broker giving no answer: the first, asked about,
// was flagged for an operator; the others, made unknown unasked, were
// flagged only at their next check, once the claim ended (5 min later,
// one per round), missing meanwhile from what operators are shown.
func TestOrphansPastFlagAfterFlaggedAtOnce(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{FlagAfter: 10 * time.Minute}},
		func(d *dummy.Broker) getpaid.Broker { return silentLookup{d} })
	ctx := context.Background()
	ids := orphanRefunds(t, e, now)
	now.Advance(time.Hour)
	if _, err := e.eng.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	page, err := e.eng.Operations(ctx, getpaid.OperationFilter{State: getpaid.OpUnknown})
	if err != nil {
		t.Fatal(err)
	}
	flagged := 0
	for _, op := range page.Operations {
		if ids[op.ID] && op.Flagged {
			flagged++
		}
	}
	if flagged != len(ids) {
		t.Errorf("%d of %d refunds in doubt an hour after they began (flag_operations_after 10m) are flagged after the reconciler's round, want all", flagged, len(ids))
	}
}
