package postgres_test

import (
	"encoding/json"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
)

// TestOperationListingsUseIndexes plans the operation listings an operator
// makes on a database of 20,000 settled operations and two flagged ones:
// each reads along an index. The flagged ones (the console's "Needs
// attention" page at every load, GET /api/v1/operations?flagged=true) were
// found by a sequential scan of every operation ever made.
func TestOperationListingsUseIndexes(t *testing.T) {
	t.Parallel()
	_, dsn := open(t, postgres.Options{})
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	for _, q := range []string{
		`INSERT INTO payments (id, order_id, backend, status, amount, currency, version, created_at, updated_at)
			SELECT 'pay' || g, 'o' || g, 'dummy', 'paid', 1000, 'PLN', 1, now(), now() FROM generate_series(1, 2000) g`,
		`INSERT INTO operations (id, payment_id, backend, kind, state, amount, currency, next_check_at, flagged, created_at, updated_at)
			SELECT 'op' || g, 'pay' || (g % 2000 + 1), 'dummy', 'refund', CASE WHEN g > 19998 THEN 'pending' ELSE 'succeeded' END,
				100, 'PLN', now(), g > 19998, now(), now()
			FROM generate_series(1, 20000) g`,
		"ANALYZE payments",
		"ANALYZE operations",
	} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, tc := range []struct {
		name  string
		f     getpaid.OperationFilter
		index string
	}{
		{"flagged", getpaid.OperationFilter{FlaggedOnly: true}, "operations_flagged"},
		{"in a state", getpaid.OperationFilter{State: getpaid.OpPending}, "operations_state"},
		{"of a payment", getpaid.OperationFilter{PaymentID: "pay7"}, "operations_payment"},
	} {
		q, args := postgres.OperationsSQL(tc.f, 51)
		if got := scanOf(t, conn, "operations", q, args...); got != tc.index {
			t.Errorf("%s: operations read by %q; want index %s", tc.name, got, tc.index)
		}
	}
}

// scanOf is how the plan of sql reads table: the index it scans, or its
// node type when it scans none (a Seq Scan).
func scanOf(t *testing.T, conn *pgx.Conn, table, sql string, args ...any) string {
	t.Helper()
	var text string
	if err := conn.QueryRow(t.Context(), "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&text); err != nil {
		t.Fatal(err)
	}
	var plan []map[string]any
	if err := json.Unmarshal([]byte(text), &plan); err != nil {
		t.Fatal(err)
	}
	var found string
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		kids, _ := n["Plans"].([]any)
		if n["Relation Name"] == table {
			found, _ = n["Node Type"].(string)
			if name, ok := n["Index Name"].(string); ok {
				found = name
			} else if found == "Bitmap Heap Scan" && len(kids) == 1 {
				found, _ = kids[0].(map[string]any)["Index Name"].(string) // its bitmap index scan's
			}
		}
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				walk(m)
			}
		}
	}
	for _, p := range plan {
		if root, ok := p["Plan"].(map[string]any); ok {
			walk(root)
		}
	}
	return found
}
