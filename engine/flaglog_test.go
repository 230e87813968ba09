package engine_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// plannedInVainStore, armed, plans each change of an operation once before
// the write, as PostgreSQL's UpdatePayment does in an attempt whose commit
// fails (a serialization failure, a deadlock: the attempt rolled back and
// the whole of it, Apply and the operation's Update included, run again;
// SQLite's writer does the same for a batch run again with savepoints);
// then writes it (again) or, fail set, answers unavailable, nothing
// written.
type plannedInVainStore struct {
	getpaid.Store
	armed, fail atomic.Bool
}

func (s *plannedInVainStore) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	if !s.armed.Load() || m.Operation == nil || m.Operation.Update == nil {
		return s.Store.UpdatePayment(ctx, id, m)
	}
	cur, err := s.Store.Payment(ctx, id)
	if err != nil {
		return nil, err
	}
	op, err := s.Store.Operation(ctx, m.Operation.ID)
	if err != nil {
		return nil, err
	}
	if _, err := getpaid.PlanUpdate(cur, op, m, time.Now()); err != nil {
		return nil, err
	}
	if s.fail.Load() {
		return nil, fmt.Errorf("postgres: update payment %s: connection lost at commit: %w", id, getpaid.ErrUnavailable)
	}
	return s.Store.UpdatePayment(ctx, id, m)
}

// An operation flagged for an operator (in doubt past FlagAfter) is logged
// at ERROR once, when the flag is written. The line was logged by the
// operation's Update, which a store runs more than once for one write (an
// attempt rolled back and run again) or for a write it then fails: the
// flag logged twice, or logged though never written (not on the Needs
// attention page, not in getpaid_operations_flagged).
func TestFlaggedLoggedOnceWritten(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fail    bool
		flagged int // lines and operations flagged, of the three
	}{
		{"changes run again", false, 3},
		{"writes failed", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			logs := &lockedBuffer{}
			st := &plannedInVainStore{Store: memory.New()}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: st, Now: now.Now, Logger: slog.New(slog.NewTextHandler(logs, nil)),
				Reconcile: engine.ReconcileConfig{FlagAfter: 10 * time.Minute}},
				func(d *dummy.Broker) getpaid.Broker { return silentLookup{d} })
			ctx := context.Background()
			ids := orphanRefunds(t, e, now) // one asked about (checkLater), two not (orphaned)
			st.fail.Store(tc.fail)
			st.armed.Store(true)
			now.Advance(time.Hour)
			_, _ = e.eng.Reconcile(ctx, 10)
			flagged := 0
			for id := range ids {
				op, err := st.Store.Operation(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if op.Flagged {
					flagged++
				}
			}
			lines := strings.Count(logs.String(), "operation still unresolved")
			if flagged != tc.flagged || lines != flagged {
				t.Fatalf("%d operations flagged, %d logged as flagged; want %d of each:\n%s", flagged, lines, tc.flagged, logs.String())
			}
		})
	}
}
