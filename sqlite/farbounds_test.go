package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// TestCreatedBoundsFarAway lists and totals payments between bounds far in
// the past or the future (an operator's "to 2300-01-01" in the console, or
// created_before=2300-01-01T00:00:00Z in the API): a bound beyond the
// nanosecond range the store keeps times in still bounds, it does not wrap
// round and hide every payment, or show them all.
func TestCreatedBoundsFarAway(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openTemp(t, sqlite.DefaultDriver)
	db, err := sqlite.OpenDB(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		insertRaw(t, db, rawPayment{id: fmt.Sprintf("pay_%d", i), order: fmt.Sprintf("o%d", i), backend: "dummy", status: "paid",
			amount: 100, currency: "PLN", at: at})
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name   string
		after  time.Time
		before time.Time
		want   int
	}{
		{"before 2300", time.Time{}, day(2300, 1, 1), 3},
		{"before the last day of int64 nanoseconds", time.Time{}, day(2262, 4, 12), 3},
		{"after 1600", day(1600, 1, 1), time.Time{}, 3},
		{"between 1600 and 2300", day(1600, 1, 1), day(2300, 1, 1), 3},
		{"before 1600", time.Time{}, day(1600, 1, 1), 0},
		{"after 2300", day(2300, 1, 1), time.Time{}, 0},
		{"order, before 2300", time.Time{}, day(2300, 1, 1), 1},
	} {
		f := getpaid.PaymentFilter{CreatedAfter: tc.after, CreatedBefore: tc.before}
		if tc.name == "order, before 2300" {
			f.OrderID = "o1"
		}
		page, err := s.Payments(ctx, f)
		if err != nil {
			t.Fatalf("%s: Payments: %v", tc.name, err)
		}
		if len(page.Payments) != tc.want {
			t.Errorf("%s: %d payments listed, want %d", tc.name, len(page.Payments), tc.want)
		}
		totals, err := s.PaymentTotals(ctx, f)
		if err != nil {
			t.Fatalf("%s: PaymentTotals: %v", tc.name, err)
		}
		var n int64
		for _, x := range totals {
			n += x.Count
		}
		if n != int64(tc.want) {
			t.Errorf("%s: totals count %d, want %d", tc.name, n, tc.want)
		}
	}
}
