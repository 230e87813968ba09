package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

// The writer's totals follow the jobs it keeps and only those: jobs that
// write payments and then fail or panic are undone, batch after batch,
// while others in the same batches create payments and change their status,
// amount and backend. payment_totals must then equal a recount.
func TestTallyFollowsKeptJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "tally.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	newPayment := func(i int) *getpaid.Payment {
		return &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: fmt.Sprintf("o%d", i), Backend: []string{"dummy", "payu"}[i%2],
			Status: getpaid.StatusNew, Amount: getpaid.Money{Minor: int64(100 + i), Currency: []string{"PLN", "EUR", "JPY"}[i%3]}}
	}
	change := func(tx *wtx, id string, i int) error {
		cur, err := tx.loadPayment(id)
		if err != nil {
			return err
		}
		p := cur.Clone()
		p.Status = []getpaid.Status{getpaid.StatusPrepared, getpaid.StatusPaid, getpaid.StatusFailed}[i%3]
		if i%4 == 0 {
			p.Amount.Minor += 7
		}
		if i%5 == 0 {
			p.Backend = "other"
		}
		p.Version++
		tx.touch(id)
		return tx.persist(cur, p)
	}
	boom := errors.New("boom")
	var wg sync.WaitGroup
	for i := range 120 {
		wg.Go(func() {
			var fn func(tx *wtx) (any, error)
			switch i % 4 {
			case 0, 1: // kept: a payment created, then changed
				fn = func(tx *wtx) (any, error) {
					p := newPayment(i)
					if _, err := tx.createPayment(p, getpaid.CreateOptions{}); err != nil {
						return nil, err
					}
					return nil, change(tx, p.ID, i)
				}
			case 2: // undone: fails after writing
				fn = func(tx *wtx) (any, error) {
					p := newPayment(i)
					if _, err := tx.createPayment(p, getpaid.CreateOptions{}); err != nil {
						return nil, err
					}
					if err := change(tx, p.ID, i); err != nil {
						return nil, err
					}
					return nil, boom
				}
			case 3: // undone: panics after writing
				fn = func(tx *wtx) (any, error) {
					p := newPayment(i)
					if _, err := tx.createPayment(p, getpaid.CreateOptions{}); err != nil {
						return nil, err
					}
					panic("job panics")
				}
			}
			func() {
				defer func() { _ = recover() }()
				_, err := s.w.do(ctx, fn)
				if i%4 == 2 && !errors.Is(err, boom) {
					t.Errorf("job %d: err = %v, want %v", i, err, boom)
				}
			}()
		})
	}
	wg.Wait()
	type row struct {
		Day                       int64
		Status, Backend, Currency string
		Count, Amount             int64
	}
	read := func(q string) []row {
		rows, err := s.read.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.Day, &r.Status, &r.Backend, &r.Currency, &r.Count, &r.Amount); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
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
	var n int64
	for _, r := range kept {
		n += r.Count
	}
	if n != 60 {
		t.Errorf("totals count %d payments, want the 60 kept", n)
	}
}

// The writer's payment writes run no trigger: it counts them itself (the
// triggers would count them twice), and a statement firing a trigger is
// one SQLite keeps a statement journal for. Another connection's writes
// fire them.
func TestWriterRunsNoTrigger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "tally.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	programs := func(query func(string) (*sql.Rows, error)) (n int) {
		for _, q := range []string{"INSERT INTO payments (id, order_id, backend, status, amount, currency, version, created_at, updated_at) VALUES ('p','o','b','new',1,'PLN',1,0,0)",
			"UPDATE payments SET status = 'paid', amount = 2 WHERE id = 'p'"} {
			rows, err := query("EXPLAIN " + q)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			for i := range vals {
				vals[i] = new(any)
			}
			for rows.Next() {
				if err := rows.Scan(vals...); err != nil {
					t.Fatal(err)
				}
				if op := fmt.Sprint(*vals[1].(*any)); op == "Program" {
					n++
				}
			}
			rows.Close()
		}
		return n
	}
	v, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		return programs(func(q string) (*sql.Rows, error) { return tx.query(q) }), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := v.(int); n != 0 {
		t.Errorf("the writer's payment writes run %d trigger programs, want none", n)
	}
	if n := programs(func(q string) (*sql.Rows, error) { return s.read.QueryContext(ctx, q) }); n != 2 {
		t.Errorf("another connection's payment writes run %d trigger programs, want 2 (insert, update)", n)
	}
}
