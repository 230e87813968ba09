package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// TestCreatedRangeListingsStopAtTheRange: a listing bounded by creation
// time is read newest first along seq only when that walk is cheaper than
// the range through the created_at index. The walk does not know where
// the range ends: the last page of a range reads every payment older than
// it, so a range holding a page or less (GET /api/v1/payments?
// created_after= polled for what is new, the console's payments "from"
// today) read the shop's whole history at every request. 400 payments
// over 19 days, 3 today.
func TestCreatedRangeListingsStopAtTheRange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "range.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := OpenDB(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return start.Add(time.Duration(d) * 24 * time.Hour) }
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	insert := func(i int, at time.Time) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (id, order_id, backend, status, amount, currency, version, created_at, updated_at)
			VALUES (?, ?, 'dummy', ?, 1000, 'PLN', 1, ?, ?)`, fmt.Sprint("pay_", i), fmt.Sprint("o", i), []string{"paid", "cancelled"}[i%2],
			at.UnixNano(), at.UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 400 {
		insert(i, start.Add(time.Duration(i)*(19*24*time.Hour)/400))
	}
	for i := range 3 {
		insert(400+i, day(19).Add(time.Duration(i)*time.Minute))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		f       getpaid.PaymentFilter
		byRange bool // read through the created_at index
	}{
		{"created today", getpaid.PaymentFilter{CreatedAfter: day(19)}, true},
		{"paid, created today", getpaid.PaymentFilter{Status: getpaid.StatusPaid, CreatedAfter: day(19)}, true},
		{"one day in the middle", getpaid.PaymentFilter{CreatedAfter: day(10), CreatedBefore: day(11)}, true},
		// Most of the history: walking it newest first finds each page
		// at once, and its last page reads few payments older than it.
		{"all but the first day", getpaid.PaymentFilter{CreatedAfter: day(1)}, false},
		{"all but the last day", getpaid.PaymentFilter{CreatedBefore: day(19)}, false},
	} {
		table, w := s.paymentListing(ctx, tc.f)
		plan := explain(t, s, pageSQL(table, paymentCols, w, 51), w.args)
		if got := strings.Contains(plan, "INDEX payments_created_at"); got != tc.byRange {
			t.Errorf("%s: plan %q; want the range read through payments_created_at: %v", tc.name, plan, tc.byRange)
		}
	}
}
