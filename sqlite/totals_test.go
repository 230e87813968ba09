package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// TestTotalsAcrossDays checks the totals table against a count of the rows
// for bounds that cut days anywhere: payments are written straight into the
// file at chosen creation times over ten days, and some change status and
// amount afterwards and one is deleted, all straight into the file (the
// triggers count what connections other than the writer's write).
func TestTotalsAcrossDays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openTemp(t, sqlite.DefaultDriver)
	db, err := sqlite.OpenDB(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	statuses := []string{"new", "prepared", "paid", "failed"}
	for i := range 400 {
		at := start.Add(time.Duration(rng.Int64N(int64(10 * 24 * time.Hour))))
		insertRaw(t, db, rawPayment{id: fmt.Sprintf("pay_%d", i), order: fmt.Sprintf("o%d", i%37), backend: []string{"dummy", "payu"}[i%2],
			status: statuses[rng.IntN(len(statuses))], amount: rng.Int64N(10000) + 1, currency: []string{"PLN", "EUR"}[i%3/2], at: at})
	}
	for i := 0; i < 400; i += 7 {
		if _, err := db.ExecContext(ctx, "UPDATE payments SET status = 'refunded', amount = amount + 1 WHERE id = ?", fmt.Sprintf("pay_%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM payments WHERE id = 'pay_3'"); err != nil {
		t.Fatal(err)
	}
	count := func(f getpaid.PaymentFilter) []getpaid.PaymentTotal {
		cond, args := oracleWhere(f)
		rows, err := db.QueryContext(ctx, "SELECT status, currency, COUNT(*), SUM(amount) FROM payments WHERE "+cond+" GROUP BY status, currency", args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []getpaid.PaymentTotal
		for rows.Next() {
			var tt getpaid.PaymentTotal
			var st string
			if err := rows.Scan(&st, &tt.Amount.Currency, &tt.Count, &tt.Amount.Minor); err != nil {
				t.Fatal(err)
			}
			tt.Status = getpaid.Status(st)
			out = append(out, tt)
		}
		getpaid.SortTotals(out)
		return out
	}
	at := func(d, h int) time.Time { return start.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour) }
	filters := []getpaid.PaymentFilter{
		{},
		{Status: "paid"},
		{Backend: "payu", Status: "refunded"},
		{CreatedAfter: at(2, 0)},
		{CreatedBefore: at(5, 0)},
		{CreatedAfter: at(2, 0), CreatedBefore: at(5, 0)},
		{CreatedAfter: at(2, 7), CreatedBefore: at(5, 13)},
		{CreatedAfter: at(3, 1), CreatedBefore: at(3, 20)},
		{CreatedAfter: at(3, 20), CreatedBefore: at(4, 2)},
		{CreatedAfter: at(-3, 0), CreatedBefore: at(30, 0)},
		{CreatedAfter: at(6, 0), CreatedBefore: at(6, 0)},
	}
	for range 30 {
		a := start.Add(time.Duration(rng.Int64N(int64(11 * 24 * time.Hour))))
		b := a.Add(time.Duration(rng.Int64N(int64(5 * 24 * time.Hour))))
		filters = append(filters, getpaid.PaymentFilter{CreatedAfter: a, CreatedBefore: b, Backend: []string{"", "dummy"}[rng.IntN(2)]})
	}
	// The listing reads a range either newest first or through the
	// created_at index (whichever the totals say is cheaper): the pages
	// must be the same rows in the same order either way.
	list := func(f getpaid.PaymentFilter) (ids []string) {
		f.Limit = 7
		for {
			page, err := s.Payments(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Payments {
				ids = append(ids, p.ID)
			}
			if page.NextCursor == "" {
				return ids
			}
			f.Cursor = page.NextCursor
		}
	}
	rowIDs := func(f getpaid.PaymentFilter) (ids []string) {
		cond, args := oracleWhere(f)
		rows, err := db.QueryContext(ctx, "SELECT id FROM payments WHERE "+cond+" ORDER BY seq DESC", args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			_ = rows.Scan(&id)
			ids = append(ids, id)
		}
		return ids
	}
	for _, f := range filters {
		if diff := cmp.Diff(rowIDs(f), list(f), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Payments(after %v, before %v, %q %q) (-rows +listing):\n%s", f.CreatedAfter, f.CreatedBefore, f.Status, f.Backend, diff)
		}
	}
	for _, f := range filters {
		got, err := s.PaymentTotals(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(count(f), got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("PaymentTotals(after %v, before %v, %q %q) (-rows +totals):\n%s", f.CreatedAfter, f.CreatedBefore, f.Status, f.Backend, diff)
		}
	}
}

// TestReadyFollowsTheFile checks that Ready fails while the database file
// is gone (a lost volume) and succeeds again once it is back.
func TestReadyFollowsTheFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openTemp(t, sqlite.DefaultDriver)
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	err := s.Ready(ctx)
	if !errors.Is(err, getpaid.ErrUnavailable) {
		t.Errorf("Ready without the file = %v, want ErrUnavailable", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Ready created the missing file: %v", err)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready with the file back: %v", err)
	}
}

// TestReadyRefusesOldSchema checks that a database another process rolled
// back to an older schema is not ready.
func TestReadyRefusesOldSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openTemp(t, sqlite.DefaultDriver)
	db, err := sqlite.OpenDB(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); !errors.Is(err, getpaid.ErrSchemaOutdated) {
		t.Errorf("Ready on an outdated schema = %v, want ErrSchemaOutdated", err)
	}
}

// TestOnCommit checks that the writer reports every batch it commits.
func TestOnCommit(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var writes, batches int
	path := filepath.Join(t.TempDir(), "getpaid.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{OnCommit: func(c sqlite.Commit) {
		mu.Lock()
		defer mu.Unlock()
		if c.Err == nil && c.Duration > 0 {
			writes += c.Writes
			batches++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			p := &getpaid.Payment{ID: fmt.Sprintf("pay_c%d", i), OrderID: "o", Backend: "dummy", Status: getpaid.StatusNew, Amount: getpaid.Money{Minor: 1, Currency: "PLN"}}
			if _, err := s.CreatePayment(context.Background(), p, getpaid.CreateOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if writes != 20 || batches < 1 || batches > 20 {
		t.Errorf("OnCommit saw %d writes in %d batches, want 20 writes in 1 to 20 batches", writes, batches)
	}
}

// oracleWhere is the condition a filter means, written plainly (no totals,
// no index choice), for the tests' own counts.
func oracleWhere(f getpaid.PaymentFilter) (string, []any) {
	q, args := "1=1", []any{}
	if f.Status != "" {
		q, args = q+" AND status = ?", append(args, string(f.Status))
	}
	if f.Backend != "" {
		q, args = q+" AND backend = ?", append(args, f.Backend)
	}
	if !f.CreatedAfter.IsZero() {
		q, args = q+" AND created_at >= ?", append(args, f.CreatedAfter.UnixNano())
	}
	if !f.CreatedBefore.IsZero() {
		q, args = q+" AND created_at < ?", append(args, f.CreatedBefore.UnixNano())
	}
	return q, args
}

// rawPayment is a payments row written straight into the file, at a chosen
// creation time (the store's own writes take the clock's).
type rawPayment struct {
	id, order, backend, status, currency string
	amount                               int64
	at                                   time.Time
}

// insertRaw writes r into the payments table of db.
func insertRaw(t *testing.T, db *sql.DB, r rawPayment) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), `INSERT INTO payments (id, order_id, backend, status, amount, currency, version, created_at, updated_at)
		VALUES (?,?,?,?,?,?,1,?,?)`, r.id, r.order, r.backend, r.status, r.amount, r.currency, r.at.UnixNano(), r.at.UnixNano()); err != nil {
		t.Fatal(err)
	}
}

// The totals follow payments written by other connections than the
// store's writer: a getpaid older than migration 008 still running on the
// file while a newer one migrates it (it counts on the triggers), a tool,
// the sqlite3 shell. Upgrading from 7 keeps the totals it had. The writer,
// which counts its own writes, must not be counted by the triggers too.
func TestTotalsBesideOtherWriters(t *testing.T) {
	t.Parallel()
	for _, from := range []int64{7} {
		t.Run(fmt.Sprintf("from %d", from), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "g.db")
			if _, err := sqlite.MigrateTo(ctx, path, sqlite.Options{}, from); err != nil {
				t.Fatal(err)
			}
			other, err := sqlite.OpenDB(path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			raw := func(i int) {
				insertRaw(t, other, rawPayment{id: fmt.Sprintf("pay_%d", i), order: fmt.Sprintf("o%d", i), backend: "dummy", status: "new",
					amount: 100, currency: "PLN", at: at.Add(time.Duration(i) * 7 * time.Hour)})
			}
			for i := range 4 {
				raw(i)
			}
			s := open(t, path, sqlite.Options{}) // migrates to the latest
			raw(4)
			if _, err := other.ExecContext(ctx, "UPDATE payments SET status = 'prepared', amount = 150, version = version + 1 WHERE id = 'pay_0'"); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"pay_1", "pay_4"} {
				if _, err := s.UpdatePayment(ctx, id, getpaid.Mutation{Cause: "prepared", Apply: func(q *getpaid.Payment) (bool, error) {
					q.Status, q.Amount.Minor = getpaid.StatusPrepared, 120
					return true, nil
				}}); err != nil {
					t.Fatal(err)
				}
			}
			p := created(t, s)
			payThrough(t, s, p, "e1")
			if _, err := other.ExecContext(ctx, "UPDATE payments SET status = 'failed', version = version + 1 WHERE id = ?", p.ID); err != nil {
				t.Fatal(err)
			}
			checkRecount(t, other)
		})
	}
}

// Two Stores on one file (two processes) each count their own writes of
// the same payments, from the rows as they find them.
func TestTotalsTwoStoresOnOneFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	a := open(t, path, sqlite.Options{})
	b := open(t, path, sqlite.Options{NoCache: true})
	var ids []string
	for range 10 {
		ids = append(ids, created(t, a).ID)
	}
	change := func(s *sqlite.Store, id string, minor int64) {
		if _, err := s.UpdatePayment(ctx, id, getpaid.Mutation{Cause: "changed", Apply: func(q *getpaid.Payment) (bool, error) {
			q.Status, q.Amount.Minor = getpaid.StatusPrepared, minor
			return true, nil
		}}); err != nil {
			t.Error(err)
		}
	}
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { change(a, id, int64(7+i)) })
		wg.Go(func() { change(b, id, int64(9+i)) })
		wg.Go(func() { created(t, b) })
	}
	wg.Wait()
	db, err := sqlite.OpenDB(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkRecount(t, db)
}

// totalsRow is a row of payment_totals, or of a recount of payments.
type totalsRow struct {
	Day                       int64
	Status, Backend, Currency string
	Count, Amount             int64
}

// checkRecount checks payment_totals against a recount of the payments.
func checkRecount(t *testing.T, db *sql.DB) {
	t.Helper()
	read := func(q string) []totalsRow {
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []totalsRow
		for rows.Next() {
			var r totalsRow
			if err := rows.Scan(&r.Day, &r.Status, &r.Backend, &r.Currency, &r.Count, &r.Amount); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	kept := read(`SELECT day, status, backend, currency, count, amount FROM payment_totals
		WHERE count <> 0 OR amount <> 0 ORDER BY 1, 2, 3, 4`)
	recount := read(`SELECT created_at / 86400000000000, status, backend, currency, COUNT(*), SUM(amount)
		FROM payments GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`)
	if diff := cmp.Diff(recount, kept); diff != "" {
		t.Errorf("payment_totals (-recount +kept):\n%s", diff)
	}
}
