package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
	"github.com/getpaid-go/getpaid/sqlite"
)

// readThen is a store whose next read of an operation runs then after it
// read it: what the broker reported between the engine's read and its
// write.
type readThen struct {
	getpaid.Store
	mu   sync.Mutex
	then func()
}

func (s *readThen) Operation(ctx context.Context, id string) (*getpaid.Operation, error) {
	op, err := s.Store.Operation(ctx, id)
	s.mu.Lock()
	then := s.then
	s.then = nil
	s.mu.Unlock()
	if then != nil {
		then()
	}
	return op, err
}

// seenStores opens each store kind the precondition is checked on (its
// UpdatedAt kept to the nanosecond, or PostgreSQL's microsecond).
var seenStores = map[string]func(t *testing.T) getpaid.Store{
	"memory": func(*testing.T) getpaid.Store { return memory.New() },
	"sqlite": func(t *testing.T) getpaid.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "getpaid.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"postgres": func(t *testing.T) getpaid.Store {
		s, err := postgres.Open(context.Background(), pgtest.Schema(t), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
}

// A refund resolved as done, contradicted by the broker (rf9, a refund made
// in its panel), was read by an operator (its updated_at as seen); the
// broker then reported another (rf10), flagging it again. The
// acknowledgement sent with what was read (an API client's resolve, or
// one retried after a lost answer) cleared the flag: rf10, which nobody
// was shown, was acknowledged, and Needs attention never listed it. Now a
// resolution whose operation changed since it was shown (Seen) is refused,
// getpaid.ErrConflict with the operation as it is; Seen as it is resolves
// it, and no Seen is no precondition. An operation in doubt is the same.
// The precondition is checked in the write: rf10 reported between the
// engine's read of the operation and its write (raced) is refused too.
func TestResolveSeenChangedSince(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		flagged bool // acknowledge a contradiction, else decide on one in doubt
		raced   bool // rf10 comes after the engine read the operation
	}{{"acknowledgement", true, false}, {"acknowledgement raced", true, true}, {"in doubt", false, false}} {
		for kind, open := range seenStores {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				seenCase(t, open(t), tc.flagged, tc.raced)
			})
		}
	}
}

// seenCase is one case of TestResolveSeenChangedSince on store.
func seenCase(t *testing.T, store getpaid.Store, flagged, raced bool) {
	t.Helper()
	rs := &readThen{Store: store}
	b := &payuLike{refunds: map[string]string{}, amounts: map[string]int64{}, status: map[string]string{}}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: rs}, func(d *dummy.Broker) getpaid.Broker { b.Broker = d; return b })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("3.00"), IdempotencyKey: "a"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund: %v, want it in doubt", err)
	}
	id := oe.Op.ID
	b.mu.Lock()
	delete(b.refunds, id) // the broker never got it
	b.mu.Unlock()
	panel := func(ref string) {
		t.Helper()
		b.mu.Lock()
		b.amounts[ref], b.status[ref] = 100, "FINALIZED"
		b.mu.Unlock()
		if _, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " " + ref + " FINALIZED")}); err != nil {
			t.Fatalf("panel refund %s: %v", ref, err)
		}
	}
	as := getpaid.OpSucceeded
	if flagged {
		if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: id, As: as, Note: "refunded by hand", By: "ops"}); err != nil {
			t.Fatal(err)
		}
		panel("rf9")
	}
	shown, err := e.eng.Operation(ctx, id)
	if err != nil || shown.Flagged != flagged {
		t.Fatalf("operation shown: %+v, %v; want flagged %v", shown, err, flagged)
	}
	var later time.Time // a later change, as the store records it
	if raced {
		rs.mu.Lock()
		rs.then = func() { panel("rf10") }
		rs.mu.Unlock()
		_, err = e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: id, As: as, Note: "rf9 is another", By: "bob", Seen: shown.UpdatedAt})
		now, _ := e.eng.Operation(ctx, id)
		if !now.Flagged || !strings.Contains(now.Error, "rf10") {
			t.Fatalf("rf10 reported while rf9 was acknowledged (%v): %+v; want it flagged, naming rf10", err, now)
		}
		if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrConflict) || !oe.Op.UpdatedAt.Equal(now.UpdatedAt) || !strings.Contains(oe.Reason(), "changed since it was shown") {
			t.Fatalf("acknowledged while rf10 was reported: %v; want a conflict with the operation as it is", err)
		}
		later = now.UpdatedAt
	} else if flagged {
		panel("rf10")
		now, _ := e.eng.Operation(ctx, id)
		if !now.Flagged || !strings.Contains(now.Error, "rf10") || now.UpdatedAt.Equal(shown.UpdatedAt) {
			t.Fatalf("rf10: %+v; want it flagged again, naming rf10, changed", now)
		}
		later = now.UpdatedAt
	} else {
		// What was shown was the refund before its last check.
		later, shown.UpdatedAt = shown.UpdatedAt, shown.UpdatedAt.Add(-time.Second)
	}
	_, err = e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: id, As: as, Note: "rf9 is another", By: "bob", Seen: shown.UpdatedAt})
	if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrConflict) || oe.Op.ID != id || !oe.Op.UpdatedAt.Equal(later) || !strings.Contains(oe.Reason(), "changed since it was shown") {
		t.Fatalf("resolved with the operation as shown before a change: %v; want a conflict with the operation as it is, saying it changed since it was shown", err)
	}
	if now, _ := e.eng.Operation(ctx, id); !now.UpdatedAt.Equal(later) || now.Flagged != flagged || now.State != oe.Op.State {
		t.Fatalf("refused, yet the operation changed: %+v", now)
	}
	res, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: id, As: as, Note: "seen as it is", By: "bob", Seen: later})
	if err != nil || res.Operation.Flagged || res.Operation.State != as || !strings.Contains(res.Operation.Note, "seen as it is") {
		t.Fatalf("resolved with the operation as it is: %+v, %v", res, err)
	}
}
