package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// TestCutDaysCountedThroughTheRange: PaymentTotals takes whole days from
// payment_totals and counts the part of a day a bound cuts (or a range
// within a day or two) row by row. That count read every payment of the
// filter's status, backend or currency ever made (the index SQLite takes
// for an equality, without statistics): Engine.PaymentTotals of the paid
// payments since 10:00 today walked every paid payment of the shop's
// history. It reads the range through payments_created_at.
func TestCutDaysCountedThroughTheRange(t *testing.T) {
	t.Parallel()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lo := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixNano()
	hi := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).UnixNano()
	for _, f := range []getpaid.PaymentFilter{
		{},
		{Status: getpaid.StatusPaid},
		{Backend: "payu"},
		{Currency: "PLN"},
		{Status: getpaid.StatusPaid, Backend: "payu", Currency: "PLN"},
	} {
		q, args := rangeCountSQL(f, lo, hi)
		if plan := explain(t, s, q, args); !strings.Contains(plan, "INDEX payments_created_at (created_at>? AND created_at<?)") {
			t.Errorf("count of status %q, backend %q, currency %q in part of a day: plan %q; want the range through payments_created_at", f.Status, f.Backend, f.Currency, plan)
		}
	}
}
