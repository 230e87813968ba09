package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
	"github.com/google/go-cmp/cmp"
	"github.com/ncruces/go-sqlite3"
)

// Since migration 012 a status change's event is its history row. A
// payment changed before the migration keeps its history rows, read first;
// its later changes are read from their events. A getpaid older than the
// migration, still running on the file (a newer "getpaid migrate" run
// beside it) and writing a history row beside each event, has each of its
// changes read once: whether its connection fires the migration's trigger
// (a tool on the file) or not (the writer of getpaid 008 to 011 runs with
// triggers off, so its rows stayed, and every change it made after the
// migration was read twice: the API's and the console's history showed
// prepared -> paid twice).
func TestHistoryAcrossMigration12(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		noTriggers bool
	}{
		{"its connection fires triggers", false},
		{"its writer runs without triggers", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			historyAcrossMigration12(t, tc.noTriggers)
		})
	}
}

func historyAcrossMigration12(t *testing.T, noTriggers bool) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	if _, err := sqlite.MigrateTo(ctx, path, sqlite.Options{}, 11); err != nil {
		t.Fatal(err)
	}
	old, err := sqlite.OpenDB(path, sqlite.Options{}) // a getpaid at schema 11
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if noTriggers {
		old.SetMaxOpenConns(1) // the one connection, as a writer's
		conn, err := old.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.Raw(func(dc any) error {
			_, err := dc.(interface{ Raw() *sqlite3.Conn }).Raw().Config(sqlite3.DBCONFIG_ENABLE_TRIGGER, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_ = conn.Close() // back to the pool, triggers still off
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := old.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	insertRaw(t, old, rawPayment{id: "pay_old", order: "o-old", backend: "dummy", status: "new", amount: 1000, currency: "PLN", at: at})
	// oldChange writes a change of pay_old as getpaid at schema 11 did: the
	// payment, a history row and its status event.
	oldChange := func(from, to getpaid.Status, version int64, at time.Time, cause string) {
		t.Helper()
		exec("UPDATE payments SET status = ?, version = ?, updated_at = ? WHERE id = 'pay_old'", string(to), version, at.UnixNano())
		exec("INSERT INTO history (payment_id, from_status, to_status, at, cause) VALUES ('pay_old', ?, ?, ?, ?)",
			string(from), string(to), at.UnixNano(), cause)
		exec(`INSERT INTO outbox (id, type, payment_id, order_id, backend, from_status, to_status, amount, currency, captured, at, refunded, cause)
			VALUES (?, 'payment.status_changed', 'pay_old', 'o-old', 'dummy', ?, ?, 1000, 'PLN', 0, ?, 0, ?)`,
			fmt.Sprintf("evt_pay_old_v%d", version), string(from), string(to), at.UnixNano(), cause)
	}
	oldChange(getpaid.StatusNew, getpaid.StatusPrepared, 2, at, "prepared at broker")

	s := open(t, path, sqlite.Options{NoCache: true}) // migrates to 12
	oldChange(getpaid.StatusPrepared, getpaid.StatusPaid, 3, at.Add(time.Minute), "captured (COMPLETED)")
	res, err := s.UpdatePayment(ctx, "pay_old", getpaid.Mutation{Cause: "refund asked", Apply: func(q *getpaid.Payment) (bool, error) {
		q.Status = getpaid.StatusRefundStarted
		return true, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []getpaid.Transition{
		{From: getpaid.StatusNew, To: getpaid.StatusPrepared, At: at, Cause: "prepared at broker"},
		{From: getpaid.StatusPrepared, To: getpaid.StatusPaid, At: at.Add(time.Minute), Cause: "captured (COMPLETED)"},
		*res.Transition,
	}
	if res.Transition.From != getpaid.StatusPaid || res.Transition.Cause != "refund asked" {
		t.Fatalf("the change's history row %+v", res.Transition)
	}
	h, err := s.History(ctx, "pay_old")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, h); d != "" {
		t.Errorf("history (-want +got):\n%s", d)
	}
	v, err := s.ViewPayment(ctx, getpaid.ViewRequest{PaymentID: "pay_old"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, v.History); d != "" {
		t.Errorf("view's history (-want +got):\n%s", d)
	}
	// The history table keeps the row from before the migration only
	// (and the old writer's, which fired no trigger).
	var rows int
	if err := old.QueryRowContext(ctx, "SELECT count(*) FROM history").Scan(&rows); err != nil || rows < 1 || rows > 1 && !noTriggers {
		t.Errorf("history table: %d rows, %v; want the one from before the migration", rows, err)
	}
	kept := rows

	// A payment created after the migration: its history is its status
	// events, none of them in the history table.
	p := created(t, s)
	payThrough(t, s, p, "e1")
	h, err = s.History(ctx, p.ID)
	if err != nil || len(h) != 1 || h[0].From != getpaid.StatusNew || h[0].To != getpaid.StatusPaid {
		t.Errorf("history of a new payment: %+v, %v; want new -> paid", h, err)
	}
	if err := old.QueryRowContext(ctx, "SELECT count(*) FROM history").Scan(&rows); err != nil || rows != kept {
		t.Errorf("history table: %d rows, %v; want still %d", rows, err, kept)
	}
}
