package engine_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// During a rollout that adds a backend, a server still on the old config
// shares the database with those that enable it, and its reconciler claims
// that backend's operations in doubt too. It cannot ask their broker: that
// is no check. It used to count one (the backoff a step further each time an
// old server took it, so the servers that can ask waited up to an hour) and
// to write "unknown backend" as what the check found, shown to operators
// for a backend that is enabled. Such an operation is now left to a server
// that enables the backend, due again as before, its last check kept; past
// flag_operations_after it is flagged, saying why it was not checked.
func TestOperationOfABackendNotEnabledHere(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		after   time.Duration // from the doubt to the old server's round
		flagged bool
	}{
		{"first check", 11 * time.Second, false},
		{"past flag_operations_after", 2 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{FlagAfter: time.Hour}})
			ctx := context.Background()
			p := e.pay("o-rollout", "10.00", "paid", getpaid.StatusPaid)
			lost := e.refundLost(p, dummy.FaultTimeoutAfter, nil)
			// The old config: another backend, not this one.
			d, err := dummy.New(dummy.Config{Secret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "other", Broker: d})
			if err != nil {
				t.Fatal(err)
			}
			old, err := engine.New(engine.Config{Store: e.store, Registry: reg, BaseURL: e.srv.URL, Now: now.Now,
				Reconcile: engine.ReconcileConfig{FlagAfter: time.Hour}, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = old.Close() })
			now.Advance(tc.after)
			if _, err := old.Reconcile(ctx, 10); err != nil {
				t.Fatal(err)
			}
			op, err := e.eng.Operation(ctx, lost.ID)
			if err != nil {
				t.Fatal(err)
			}
			if op.State.Final() {
				t.Fatalf("after the old server's round: %s; want still %s", op.State, lost.State)
			}
			if tc.flagged {
				if !op.Flagged || !strings.Contains(op.LastCheck, `not checked: backend "dummy" is not enabled on the server that looked`) {
					t.Fatalf("flagged %v, last check %q; want flagged, saying the backend is not enabled there", op.Flagged, op.LastCheck)
				}
				return
			}
			if op.Flagged || op.LastCheck != lost.LastCheck || op.Attempts != lost.Attempts {
				t.Fatalf("flagged %v, last check %q, %d checks; want none of it (it asked no broker)", op.Flagged, op.LastCheck, op.Attempts)
			}
			// A server that enables the backend checks it when its first
			// check was due to come: 10 s after the doubt, then as soon
			// as the old server's claim is given back.
			op, _, n := e.reconcileAfter(t, now, 10*time.Second, lost.ID, p.ID)
			if n != 1 || op.State != getpaid.OpSucceeded {
				t.Fatalf("the next round of a server with the backend: %d resolved, %s (next check %s, now %s); want it checked and succeeded",
					n, op.State, op.NextCheckAt, now.Now())
			}
		})
	}
}

// An operation in doubt past flag_operations_after, flagged by a server that
// enables its backend and keeps asking the broker, was taken by a server that
// does not (a rollout's old config) at each round it won the claim: what it
// found ("not checked: backend … is not enabled on the server that looked …,
// if none does, enable it again") replaced what the broker was last asked,
// on the console's Needs attention page, for a backend that is enabled, and
// a check it never made was counted. Once flagged, it is left to the others
// as before flag_operations_after.
func TestFlaggedOperationLeftByAServerWithoutItsBackend(t *testing.T) {
	t.Parallel()
	now := &clock{}
	back := &atomic.Bool{}
	ecfg := engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{Backoff: []time.Duration{10 * time.Second}, FlagAfter: time.Hour}}
	e := newDummyEnv(t, dummy.Config{}, ecfg, func(d *dummy.Broker) getpaid.Broker { return lateLookup{d, back} })
	ctx := context.Background()
	p := e.pay("o-flagged-rollout", "10.00", "paid", getpaid.StatusPaid)
	lost := e.refundLost(p, dummy.FaultTimeoutAfter, nil)
	checked, _, _ := e.reconcileAfter(t, now, 2*time.Hour, lost.ID, p.ID)
	if !checked.Flagged || checked.State.Final() || checked.LastCheck == "" {
		t.Fatalf("with the lookup down past flag_operations_after: %s, flagged %v, last check %q; want flagged in doubt", checked.State, checked.Flagged, checked.LastCheck)
	}
	d, err := dummy.New(dummy.Config{Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "other", Broker: d})
	if err != nil {
		t.Fatal(err)
	}
	old, err := engine.New(engine.Config{Store: e.store, Registry: reg, BaseURL: e.srv.URL, Now: now.Now,
		Reconcile: ecfg.Reconcile, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = old.Close() })
	now.Advance(time.Minute)
	if _, err := old.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	op, err := e.eng.Operation(ctx, lost.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !op.Flagged || op.LastCheck != checked.LastCheck || op.Attempts != checked.Attempts {
		t.Fatalf("after the old server's round: flagged %v, last check %q, %d checks; want still flagged, %q, %d checks (it asked no broker)",
			op.Flagged, op.LastCheck, op.Attempts, checked.LastCheck, checked.Attempts)
	}
	// The server that enables the backend still checks it when due.
	back.Store(true)
	op, _, n := e.reconcileAfter(t, now, 10*time.Second, lost.ID, p.ID)
	if n != 1 || op.State != getpaid.OpSucceeded {
		t.Fatalf("the next round of a server with the backend: %d resolved, %s; want it checked and succeeded", n, op.State)
	}
}
