package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// TestDeliveryReadsUseIndexes checks how SQLite plans the reads of
// deliveries an operator or the metrics make: each along an index, but the
// listing of delivered ones, nearly all of them, which reads the table
// newest first. Migration 011 dropped the index by event and made the state
// index hold the deliveries not delivered only; a query that no longer finds
// its index would read every delivery ever made.
func TestDeliveryReadsUseIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const ev = "evt_01JD0000000000000000000000"
	listing := func(f getpaid.DeliveryFilter) (string, []any) {
		w := deliveryWhere(f)
		return pageSQL("deliveries", deliveryCols, w, 51), w.args
	}
	for _, tc := range []struct {
		name  string
		query func() (string, []any)
		index string // "" for a read of the table itself
	}{
		{"listing by event", func() (string, []any) { return listing(getpaid.DeliveryFilter{EventID: ev}) }, "sqlite_autoindex_deliveries_1"},
		{"listing by event and state", func() (string, []any) {
			return listing(getpaid.DeliveryFilter{EventID: ev, State: getpaid.DeliveryDead})
		}, "sqlite_autoindex_deliveries_1"},
		{"listing of dead ones", func() (string, []any) { return listing(getpaid.DeliveryFilter{State: getpaid.DeliveryDead}) }, "deliveries_state"},
		{"listing of pending ones", func() (string, []any) { return listing(getpaid.DeliveryFilter{State: getpaid.DeliveryPending}) }, ""},
		{"listing by payment", func() (string, []any) { return listing(getpaid.DeliveryFilter{PaymentID: "pay_1"}) }, "deliveries_payment"},
		{"listing by payment and state", func() (string, []any) {
			return listing(getpaid.DeliveryFilter{PaymentID: "pay_1", State: getpaid.DeliveryDead})
		}, "deliveries_payment"},
		// What the engine asks for each pending delivery a listing shows
		// (the one its payment's next waits for).
		{"a payment's pending deliveries to one consumer", func() (string, []any) {
			return listing(getpaid.DeliveryFilter{PaymentID: "pay_1", Consumer: "webhook:x", State: getpaid.DeliveryPending})
		}, "deliveries_payment"},
		{"listing of delivered ones", func() (string, []any) { return listing(getpaid.DeliveryFilter{State: getpaid.DeliveryDelivered}) }, ""},
		{"backlog: pending", func() (string, []any) { return backlogPending, nil }, ""},
		{"backlog: dead", func() (string, []any) { return backlogDead, nil }, "deliveries_state"},
		{"backlog: oldest pending", func() (string, []any) { return backlogOldest, nil }, ""},
		{"backlog: operations in doubt", func() (string, []any) { return backlogInDoubt, nil }, "operations_state"},
		{"backlog: operations flagged", func() (string, []any) { return backlogFlagged, nil }, "operations_flagged"},
	} {
		q, args := tc.query()
		plan := explain(t, s, q, args)
		switch {
		case tc.index == "" && tc.name == "listing of delivered ones":
			if !strings.Contains(plan, "SCAN deliveries") || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s: plan %q; want the table read newest first", tc.name, plan)
			}
		case tc.index == "":
			// Any index, as long as the table is not read whole.
			if strings.Contains(plan, "SCAN deliveries\n") || strings.HasSuffix(plan, "SCAN deliveries") || !strings.Contains(plan, "INDEX") {
				t.Errorf("%s: plan %q; want an index", tc.name, plan)
			}
		case !strings.Contains(plan, "INDEX "+tc.index):
			t.Errorf("%s: plan %q; want index %s", tc.name, plan, tc.index)
		}
	}
}

// explain is SQLite's query plan of q, one line per step.
func explain(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	rows, err := s.query(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", q, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
