package postgres_test

import (
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
			conn, err := pgx.Connect(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(t.Context())
			const delivered = 18000 // payments whose three events were delivered
			steps := []struct {
				sql  string
				args []any
			}{
				// Autovacuum must not analyse the table behind the test's back.
				{"ALTER TABLE deliveries SET (autovacuum_enabled = false)", nil},
				{"ALTER TABLE outbox SET (autovacuum_enabled = false)", nil},
				{`INSERT INTO outbox (id, type, payment_id, order_id, backend, to_status, amount, currency, captured, at)
					SELECT 'evt' || g, 'payment.status_changed', 'pay' || (g / 3), 'order', 'dummy', 'paid', 1000, 'PLN', 0, now()
					FROM generate_series(3, 3 * ($1::int + $2::int) + 2) g`, []any{delivered, tt.pending}},
				{`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at)
					SELECT 'dlv' || g || c, 'evt' || g, g, 'pay' || (g / 3), c, 'delivered', now(), now(), now()
					FROM generate_series(3, 3 * $1::int + 2) g, unnest($2::text[]) c`, []any{delivered, tt.consumers}},
				{"VACUUM ANALYZE deliveries", nil},
				{"VACUUM ANALYZE outbox", nil},
				{`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at)
					SELECT 'dlv' || g || c, 'evt' || g, g, 'pay' || (g / 3), c, 'pending', now() - interval '1 minute', now(), now()
					FROM generate_series(3 * $1::int + 3, 3 * ($1::int + $2::int) + 2) g, unnest($3::text[]) c`,
					[]any{delivered, tt.pending, tt.consumers}},
			}
			for _, st := range steps {
				if _, err := conn.Exec(t.Context(), st.sql, st.args...); err != nil {
					t.Fatalf("%s: %v", st.sql, err)
				}
			}
			// The check of earlier pending deliveries looks up the payment's
			// own (an index condition on payment_id), whatever the
			// statistics say; not every pending delivery of the consumer.
			var text string
			err = conn.QueryRow(t.Context(), "EXPLAIN (FORMAT JSON) "+postgres.SQLClaim,
				tt.consumers, time.Now(), 64, "test", time.Now(), make([]*int32, len(tt.consumers))).Scan(&text)
			if err != nil {
				t.Fatal(err)
			}
			var plan []map[string]any
			if err := json.Unmarshal([]byte(text), &plan); err != nil {
				t.Fatal(err)
			}
			probes := 0
			var walk func(n map[string]any)
			walk = func(n map[string]any) {
				if n["Alias"] == "e" {
					probes++
					cond, _ := n["Index Cond"].(string)
					if n["Node Type"] == "Bitmap Heap Scan" {
						cond, _ = n["Recheck Cond"].(string) // its bitmap index scan's
					}
					if !strings.Contains(cond, "payment_id") {
						t.Errorf("earlier deliveries are found by a %s of %v with index condition %q, not by the payment: "+
							"a claim reads every pending delivery for each one it considers", n["Node Type"], n["Index Name"], cond)
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
			if probes == 0 {
				t.Errorf("no scan of earlier deliveries (alias e) in the claim's plan: %s", text)
			}
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
