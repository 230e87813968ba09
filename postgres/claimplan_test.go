package postgres_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
)

// TestClaimBacklogTheStatisticsMissed claims from a backlog that built up
// after PostgreSQL last analysed the deliveries, as when an endpoint was
// down for a while on a database whose deliveries had all been delivered:
// its statistics say almost none is pending. Planned on them, the check
// that no earlier delivery of the payment is pending read every pending
// delivery of the consumer (deliveries_state or deliveries_order, on
// "state = 'pending'" and the consumer alone) for each delivery the claim
// considered: quadratic in the backlog. Three getpaid processes on one
// database, 1,800 webhooks behind a slow endpoint: claims of 10 to 50 s,
// each given up by the dispatcher after 10 s ("claiming event deliveries
// failed; will retry") until autovacuum analysed the table again; with
// 6,000 pending per endpoint one claim took 53 s. The check must look up
// the payment's own deliveries, whatever the statistics say.
func TestClaimBacklogTheStatisticsMissed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		consumers []string
		pending   int // payments with three pending events each, per consumer
	}{
		{"one endpoint", []string{"webhook:a"}, 2000},
		{"two endpoints", []string{"webhook:a", "webhook:b"}, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, dsn := open(t, postgres.Options{Timeout: 5 * time.Second})
			conn := staleBacklog(t, dsn, tt.consumers, tt.pending)
			// The check of earlier pending deliveries looks up the payment's
			// own (an index condition on payment_id), whatever the
			// statistics say; not every pending delivery of the consumer.
			indexConds(t, conn, "e", postgres.SQLClaim, "payment_id",
				tt.consumers, time.Now(), 64, "test", time.Now(), make([]*int32, len(tt.consumers)))
			start := time.Now()
			claimed, err := s.ClaimDeliveries(t.Context(), getpaid.ClaimRequest{
				Owner: "test", Now: time.Now(), Lease: time.Minute, Limit: 64, Consumers: tt.consumers,
			})
			took := time.Since(start)
			if err != nil {
				t.Fatalf("claim after %s: %v", took, err)
			}
			if len(claimed) != 64 {
				t.Fatalf("claimed %d deliveries, want 64", len(claimed))
			}
			for _, c := range claimed {
				// Only the first of a payment's three events (evt3k) is due.
				g, err := strconv.Atoi(strings.TrimPrefix(c.Event.ID, "evt"))
				if err != nil || g%3 != 0 {
					t.Errorf("claimed %s, of event %s: an earlier one of its payment is pending", c.Delivery.ID, c.Event.ID)
				}
			}
		})
	}
}

// TestPendingLookupsTheStatisticsMissed: the lookups of a payment's
// pending deliveries that every change of a payment (under its row lock)
// and every delivery's result make find them by the payment or by their
// ids, not by scanning every pending delivery, when a backlog built up
// after PostgreSQL last analysed the table (see
// TestClaimBacklogTheStatisticsMissed): planned on "state = 'pending'" as
// selecting one row, each read the whole backlog, slowing every change
// while an endpoint was down.
func TestPendingLookupsTheStatisticsMissed(t *testing.T) {
	t.Parallel()
	_, dsn := open(t, postgres.Options{})
	conn := staleBacklog(t, dsn, []string{"webhook:a", "webhook:b"}, 2000)
	tests := []struct {
		name string
		sql  string
		args []any
		cond string // what the scan of deliveries must be an index condition on
	}{
		{"a payment's earlier deliveries", postgres.SQLEarlierDeliveries, []any{"pay18500", "owner", time.Now()}, "payment_id"},
		{"the deliveries finished", postgres.SQLLockDeliveries, []any{[]string{"dlv55500webhook:a", "dlv55501webhook:b"}}, "(id = ANY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			indexConds(t, conn, "deliveries", tt.sql, tt.cond, tt.args...)
		})
	}
}

// staleBacklog writes, in the schema dsn names, deliveries to consumers of
// 18,000 payments' three events, all delivered, has PostgreSQL analyse
// them, and then pending ones of another pending payments' three events,
// unanalysed: the statistics say almost nothing is pending. It returns a
// connection to the schema.
func staleBacklog(t *testing.T, dsn string, consumers []string, pending int) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	const delivered = 18000
	steps := []struct {
		sql  string
		args []any
	}{
		// Autovacuum must not analyse the table behind the test's back.
		{"ALTER TABLE deliveries SET (autovacuum_enabled = false)", nil},
		{"ALTER TABLE outbox SET (autovacuum_enabled = false)", nil},
		{`INSERT INTO outbox (id, type, payment_id, order_id, backend, to_status, amount, currency, captured, at)
			SELECT 'evt' || g, 'payment.status_changed', 'pay' || (g / 3), 'order', 'dummy', 'paid', 1000, 'PLN', 0, now()
			FROM generate_series(3, 3 * ($1::int + $2::int) + 2) g`, []any{delivered, pending}},
		{`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at)
			SELECT 'dlv' || g || c, 'evt' || g, g, 'pay' || (g / 3), c, 'delivered', now(), now(), now()
			FROM generate_series(3, 3 * $1::int + 2) g, unnest($2::text[]) c`, []any{delivered, consumers}},
		{"VACUUM ANALYZE deliveries", nil},
		{"VACUUM ANALYZE outbox", nil},
		{`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at)
			SELECT 'dlv' || g || c, 'evt' || g, g, 'pay' || (g / 3), c, 'pending', now() - interval '1 minute', now(), now()
			FROM generate_series(3 * $1::int + 3, 3 * ($1::int + $2::int) + 2) g, unnest($3::text[]) c`,
			[]any{delivered, pending, consumers}},
	}
	for _, st := range steps {
		if _, err := conn.Exec(t.Context(), st.sql, st.args...); err != nil {
			t.Fatalf("%s: %v", st.sql, err)
		}
	}
	return conn
}

// indexConds checks that in the plan of sql every scan of a table under
// alias (its name when it has none) has an index condition on column.
func indexConds(t *testing.T, conn *pgx.Conn, alias, sql, column string, args ...any) {
	t.Helper()
	var text string
	if err := conn.QueryRow(t.Context(), "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&text); err != nil {
		t.Fatal(err)
	}
	var plan []map[string]any
	if err := json.Unmarshal([]byte(text), &plan); err != nil {
		t.Fatal(err)
	}
	scans := 0
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		if n["Alias"] == alias {
			scans++
			cond, _ := n["Index Cond"].(string)
			if n["Node Type"] == "Bitmap Heap Scan" {
				cond, _ = n["Recheck Cond"].(string) // its bitmap index scan's
			}
			if !strings.Contains(cond, column) {
				t.Errorf("%s is read by a %s of %v with index condition %q, not by %s: every pending delivery is read",
					alias, n["Node Type"], n["Index Name"], cond, column)
			}
		}
		kids, _ := n["Plans"].([]any)
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
	if scans == 0 {
		t.Errorf("no scan of %s in the plan: %s", alias, text)
	}
}
