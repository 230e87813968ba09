package engine_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An operation in doubt whose backend no server enables (removed from the
// config: README says to resolve it then) is claimed by the reconciler and
// given back, due again, every 10 s: its next check moved, nothing an
// operator is shown. That moved its updated_at, so a resolution sent with
// the operation as operations show printed it (--seen, the API's seen) a
// few seconds later was refused, "it changed since it was shown", again
// and again, with nothing changed to read. Rescheduling its check is no
// change of the operation: the resolution is made.
func TestResolveSeenAfterCheckRescheduled(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now})
	ctx := context.Background()
	p := e.pay("o-seen-rescheduled", "10.00", "paid", getpaid.StatusPaid)
	lost := e.refundLost(p, dummy.FaultTimeoutAfter, nil)
	d, err := dummy.New(dummy.Config{Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "other", Broker: d})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := engine.New(engine.Config{Store: e.store, Registry: reg, BaseURL: e.srv.URL, Now: now.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gone.Close() })
	shown, err := e.eng.Operation(ctx, lost.ID)
	if err != nil {
		t.Fatal(err)
	}
	now.Advance(11 * time.Second)
	if _, err := gone.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	after, err := e.eng.Operation(ctx, lost.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.NextCheckAt.Equal(shown.NextCheckAt) {
		t.Fatalf("next check %s unchanged: the reconciler's round did not reschedule it", after.NextCheckAt)
	}
	res, err := gone.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: lost.ID, As: getpaid.OpFailed, Note: "not in the panel", By: "alice", Seen: shown.UpdatedAt})
	if err != nil {
		t.Fatalf("resolve with the operation as shown, only its next check moved since: %v", err)
	}
	if res.Operation.State != getpaid.OpFailed || res.Operation.ResolvedBy != "alice" {
		t.Fatalf("resolved: %s by %q", res.Operation.State, res.Operation.ResolvedBy)
	}
}
