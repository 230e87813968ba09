package postgres_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
)

// TestClaimSkipsHeldBacklog: while an endpoint is down, each payment's first
// undelivered webhook waits for its retry and the payment's later ones are
// held behind it: due, but not to be sent before it. A claim must not read
// every held delivery to find the few it may send: the rows the claim reads
// from deliveries (EXPLAIN ANALYZE) are the same with 20 or 300 held.
func TestClaimSkipsHeldBacklog(t *testing.T) {
	t.Parallel()
	read := map[int]float64{}
	for _, held := range []int{20, 300} {
		s, dsn := open(t, postgres.Options{})
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		now := time.Now()
		// held payments, each with its first delivery waiting for a retry an
		// hour away and a second one held behind it; two payments whose
		// only delivery is due.
		steps := []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO outbox (id, type, payment_id, order_id, backend, to_status, amount, currency, captured, at)
				SELECT 'evt' || g, 'payment.status_changed', 'pay' || (g / 2), 'order', 'dummy', 'paid', 1000, 'PLN', 0, $2
				FROM generate_series(2, 2 * $1::int + 3) g`, []any{held, now}},
			{`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, attempts, next_at, created_at, updated_at)
				SELECT 'dlv' || g, 'evt' || g, g, 'pay' || (g / 2), 'webhook:a', 'pending',
					CASE WHEN g % 2 = 0 THEN 1 ELSE 0 END,
					CASE WHEN g % 2 = 0 THEN $2::timestamptz + interval '1 hour' ELSE $2::timestamptz - interval '1 minute' END, $2, $2
				FROM generate_series(2, 2 * $1::int + 1) g`, []any{held, now}},
			{`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at)
				SELECT 'dlv' || g, 'evt' || g, g, 'pay' || (g / 2), 'webhook:a', 'pending', $2::timestamptz - interval '1 minute', $2, $2
				FROM generate_series(2 * $1::int + 2, 2 * $1::int + 3) g`, []any{held, now}},
			{"ANALYZE deliveries", nil},
			{"ANALYZE outbox", nil},
		}
		for _, st := range steps {
			if _, err := conn.Exec(t.Context(), st.sql, st.args...); err != nil {
				t.Fatalf("%s: %v", st.sql, err)
			}
		}
		// The store's first claim, of one, takes its look at the backlog;
		// the next one is measured.
		claimed, err := s.ClaimDeliveries(t.Context(), getpaid.ClaimRequest{
			Owner: "test", Now: now, Lease: time.Minute, Limit: 1, Consumers: []string{"webhook:a"},
		})
		if err != nil || len(claimed) != 1 {
			t.Fatalf("first claim: %d, %v; want one", len(claimed), err)
		}
		read[held] = claimReads(t, conn, now)
	}
	t.Logf("rows read: %v", read)
	if read[300] > read[20] {
		t.Errorf("a claim read %v rows of deliveries with 20 held, %v with 300: it reads every held delivery", read[20], read[300])
	}
}

// claimReads runs the claim under EXPLAIN ANALYZE, in a transaction rolled
// back, and returns how many rows its scans of deliveries read (returned
// or filtered out), over all their loops.
func claimReads(t *testing.T, conn *pgx.Conn, now time.Time) float64 {
	t.Helper()
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(t.Context())
	var text string
	err = tx.QueryRow(t.Context(), "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+postgres.SQLClaim,
		[]string{"webhook:a"}, now, 64, "test", now.Add(time.Minute), []*int32{nil}).Scan(&text)
	if err != nil {
		t.Fatal(err)
	}
	var plan []struct{ Plan map[string]any }
	if err := json.Unmarshal([]byte(text), &plan); err != nil {
		t.Fatal(err)
	}
	var rows float64
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		if n["Relation Name"] == "deliveries" {
			f := func(k string) float64 { v, _ := n[k].(float64); return v }
			rows += (f("Actual Rows") + f("Rows Removed by Filter") + f("Rows Removed by Index Recheck")) * f("Actual Loops")
		}
		kids, _ := n["Plans"].([]any)
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				walk(m)
			}
		}
	}
	for _, p := range plan {
		walk(p.Plan)
	}
	return rows
}

// TestHeldFreed: a delivery the claim's sweep held behind its payment's
// first goes out, in order, once the first leaves pending: at the next
// sweep when a getpaid older than migration 009 recorded that (it frees
// nothing), at once when this one's result does.
func TestHeldFreed(t *testing.T) {
	t.Parallel()
	s, dsn := open(t, postgres.Options{})
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	now := time.Now().Truncate(time.Second)
	// pay1: evt1's delivery waits for its retry, evt2's and evt3's behind it.
	for _, st := range []string{
		`INSERT INTO outbox (id, type, payment_id, order_id, backend, to_status, amount, currency, captured, at)
			SELECT 'evt' || g, 'payment.status_changed', 'pay1', 'order', 'dummy', 'paid', 1000, 'PLN', 0, $1
			FROM generate_series(1, 3) g`,
		`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, attempts, next_at, created_at, updated_at)
			SELECT 'dlv' || g, 'evt' || g, g, 'pay1', 'webhook:a', 'pending', 0,
				CASE WHEN g = 1 THEN $1::timestamptz + interval '1 hour' ELSE $1::timestamptz - interval '1 minute' END, $1, $1
			FROM generate_series(1, 3) g`,
	} {
		if _, err := conn.Exec(t.Context(), st, now); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	claimAt := func(at time.Time) []string {
		t.Helper()
		got, err := s.ClaimDeliveries(t.Context(), getpaid.ClaimRequest{
			Owner: "test", Now: at, Lease: time.Minute, Limit: 10, Consumers: []string{"webhook:a"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range got {
			ids = append(ids, c.Delivery.ID)
		}
		return ids
	}
	heldOnes := func() []string {
		t.Helper()
		rows, err := conn.Query(t.Context(), "SELECT id FROM deliveries WHERE held ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := claimAt(now); len(got) != 0 {
		t.Fatalf("claimed %v behind a pending first delivery", got)
	}
	if got := heldOnes(); !slices.Equal(got, []string{"dlv2", "dlv3"}) {
		t.Fatalf("held %v, want dlv2 and dlv3", got)
	}
	// A getpaid older than 009 delivers evt1: it frees nothing.
	if _, err := conn.Exec(t.Context(), "UPDATE deliveries SET state = 'delivered' WHERE id = 'dlv1'"); err != nil {
		t.Fatal(err)
	}
	if got := claimAt(now.Add(30 * time.Second)); len(got) != 0 {
		t.Fatalf("claimed %v held, before the next sweep", got)
	}
	if got := claimAt(now.Add(time.Minute)); !slices.Equal(got, []string{"dlv2"}) {
		t.Fatalf("claimed %v at the next sweep, want dlv2", got)
	}
	if got := heldOnes(); !slices.Equal(got, []string{"dlv3"}) {
		t.Fatalf("held %v, want dlv3", got)
	}
	err = s.FinishDeliveries(t.Context(), []getpaid.DeliveryResult{{ID: "dlv2", Owner: "test", Delivered: true,
		Attempt: getpaid.Attempt{At: now.Add(time.Minute), Status: 200}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := claimAt(now.Add(time.Minute + time.Second)); !slices.Equal(got, []string{"dlv3"}) {
		t.Fatalf("claimed %v once dlv2 was delivered, want dlv3", got)
	}
}

// TestSweepSpreadOverClaims: the first sweep of a long outage's backlog
// (after migration 009, on a database whose deliveries are not marked yet)
// marks at most postgres.SweepBatch of them, and the next claims, not a
// minute later, go on until all are marked. Marking 200,000 in one sweep
// took longer than the dispatcher's 10 s deadline for a claim: every claim
// failed, and with it every webhook to every consumer, while the claim
// without the sweep took 1 s.
func TestSweepSpreadOverClaims(t *testing.T) {
	t.Parallel()
	s, dsn := open(t, postgres.Options{})
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	now := time.Now()
	backlog := 2*postgres.SweepBatch + postgres.SweepBatch/2
	// backlog payments, each with its first delivery waiting for a retry an
	// hour away and a second one due behind it.
	for _, st := range []string{
		`INSERT INTO outbox (id, type, payment_id, order_id, backend, to_status, amount, currency, captured, at)
			SELECT 'evt' || g, 'payment.status_changed', 'pay' || (g / 2), 'order', 'dummy', 'paid', 1000, 'PLN', 0, $2
			FROM generate_series(2, 2 * $1::int + 1) g`,
		`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, attempts, next_at, created_at, updated_at)
			SELECT 'dlv' || g, 'evt' || g, g, 'pay' || (g / 2), 'webhook:a', 'pending',
				CASE WHEN g % 2 = 0 THEN 1 ELSE 0 END,
				CASE WHEN g % 2 = 0 THEN $2::timestamptz + interval '1 hour' ELSE $2::timestamptz - interval '1 minute' END, $2, $2
			FROM generate_series(2, 2 * $1::int + 1) g`,
	} {
		if _, err := conn.Exec(t.Context(), st, backlog, now); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	for i, want := range []int{postgres.SweepBatch, 2 * postgres.SweepBatch, backlog, backlog} {
		got, err := s.ClaimDeliveries(t.Context(), getpaid.ClaimRequest{
			Owner: "test", Now: now, Lease: time.Minute, Limit: 10, Consumers: []string{"webhook:a"},
		})
		if err != nil || len(got) != 0 {
			t.Fatalf("claim %d: %d, %v; want none (each is behind its payment's first)", i, len(got), err)
		}
		var held int
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM deliveries WHERE held").Scan(&held); err != nil {
			t.Fatal(err)
		}
		if held != want {
			t.Fatalf("after claim %d: %d of %d held, want %d", i, held, backlog, want)
		}
	}
}

// TestClaimOutlivesItsSweep: held marks only spare claims work, so a sweep
// that runs out of its time (a backlog too long to look through within
// it) leaves the claim to send what is due, reading the unmarked backlog
// as before migration 009. Before, the sweep's failure failed the claim,
// and the next claim swept again: no webhook to any consumer, ever.
func TestClaimOutlivesItsSweep(t *testing.T) {
	t.Parallel()
	s, dsn := open(t, postgres.Options{})
	postgres.ShortenSweeps(s, time.Millisecond)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	now := time.Now()
	const backlog = 2500
	// backlog payments whose second delivery waits behind their first (a
	// retry an hour away), and two payments whose only delivery is due.
	for _, st := range []string{
		`INSERT INTO outbox (id, type, payment_id, order_id, backend, to_status, amount, currency, captured, at)
			SELECT 'evt' || g, 'payment.status_changed', 'pay' || (g / 2), 'order', 'dummy', 'paid', 1000, 'PLN', 0, $2
			FROM generate_series(2, 2 * $1::int + 3) g`,
		`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, attempts, next_at, created_at, updated_at)
			SELECT 'dlv' || g, 'evt' || g, g, 'pay' || (g / 2), 'webhook:a', 'pending',
				CASE WHEN g % 2 = 0 AND g <= 2 * $1::int THEN 1 ELSE 0 END,
				CASE WHEN g % 2 = 0 AND g <= 2 * $1::int THEN $2::timestamptz + interval '1 hour' ELSE $2::timestamptz - interval '1 minute' END, $2, $2
			FROM generate_series(2, 2 * $1::int + 1) g`,
		`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at)
			SELECT 'dlv' || g, 'evt' || g, g, 'due' || g, 'webhook:a', 'pending', $2::timestamptz - interval '1 minute', $2, $2
			FROM generate_series(2 * $1::int + 2, 2 * $1::int + 3) g`,
	} {
		if _, err := conn.Exec(t.Context(), st, backlog, now); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	got, err := s.ClaimDeliveries(t.Context(), getpaid.ClaimRequest{
		Owner: "test", Now: now, Lease: time.Minute, Limit: 10, Consumers: []string{"webhook:a"},
	})
	if err != nil {
		t.Fatalf("claim: %v; want the due deliveries whatever the sweep did", err)
	}
	var ids []string
	for _, c := range got {
		ids = append(ids, c.Delivery.ID)
	}
	slices.Sort(ids)
	if want := []string{fmt.Sprint("dlv", 2*backlog+2), fmt.Sprint("dlv", 2*backlog+3)}; !slices.Equal(ids, want) {
		t.Fatalf("claimed %v, want %v", ids, want)
	}
	var held int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM deliveries WHERE held").Scan(&held); err != nil {
		t.Fatal(err)
	}
	if held != 0 {
		t.Fatalf("%d held: the sweep ran to its end within its millisecond, so this test did not stop it", held)
	}
}

// TestSweepTriedOnce: a sweep that runs out of its time is not tried again
// before the claim: its statement_timeout (57014) is no failure that another
// try within the claim helps. Before, the store's retries ran it three times
// (9 s of the dispatcher's 10 s claim deadline), and the claim, left under
// a second to read the unmarked backlog, failed.
func TestSweepTriedOnce(t *testing.T) {
	t.Parallel()
	s, dsn := open(t, postgres.Options{MaxConns: 1})
	postgres.ShortenSweeps(s, 200*time.Millisecond)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	now := time.Now()
	// pay1's second delivery is due behind its first (a retry an hour away),
	// and marking it held never ends: every try of the sweep is counted, and
	// runs out of its time. pay2's only delivery is due.
	for _, st := range []string{
		`CREATE SEQUENCE sweeps`,
		`CREATE FUNCTION endless_sweep() RETURNS trigger LANGUAGE plpgsql AS
			$$ BEGIN PERFORM nextval('sweeps'); PERFORM pg_sleep(60); RETURN NEW; END $$`,
		`CREATE TRIGGER endless_sweep BEFORE UPDATE OF held ON deliveries FOR EACH ROW
			WHEN (OLD.held IS DISTINCT FROM NEW.held) EXECUTE FUNCTION endless_sweep()`,
		`INSERT INTO outbox (id, type, payment_id, order_id, backend, to_status, amount, currency, captured, at)
			SELECT 'evt' || g, 'payment.status_changed', CASE WHEN g < 3 THEN 'pay1' ELSE 'pay2' END, 'order', 'dummy', 'paid', 1000, 'PLN', 0, $1
			FROM generate_series(1, 3) g`,
		`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, attempts, next_at, created_at, updated_at)
			SELECT 'dlv' || g, 'evt' || g, g, CASE WHEN g < 3 THEN 'pay1' ELSE 'pay2' END, 'webhook:a', 'pending', 0,
				CASE WHEN g = 1 THEN $1::timestamptz + interval '1 hour' ELSE $1::timestamptz - interval '1 minute' END, $1, $1
			FROM generate_series(1, 3) g`,
	} {
		var args []any
		if st[0] == 'I' {
			args = []any{now}
		}
		if _, err := conn.Exec(t.Context(), st, args...); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	got, err := s.ClaimDeliveries(t.Context(), getpaid.ClaimRequest{
		Owner: "test", Now: now, Lease: time.Minute, Limit: 10, Consumers: []string{"webhook:a"},
	})
	if err != nil || len(got) != 1 || got[0].Delivery.ID != "dlv3" {
		t.Fatalf("claim: %d, %v; want dlv3", len(got), err)
	}
	var tries int
	if err := conn.QueryRow(t.Context(), "SELECT last_value FROM sweeps").Scan(&tries); err != nil {
		t.Fatal(err)
	}
	if tries != 1 {
		t.Fatalf("the sweep ran %d times before the claim, want once", tries)
	}
}

// TestSweepOfOneConsumerLeavesOthers: one consumer's backlog too long to
// sweep in time (its sweep runs out every minute) does not keep another
// consumer's held delivery from being freed by its own sweep. Here
// webhook:up's dlv5 was held behind dlv4, which was then delivered
// without freeing it (by a getpaid older than migration 009, or while a
// sweep ran): only a sweep frees it. Swept in one statement with
// webhook:down's, it waited as long as webhook:down's sweep kept failing.
func TestSweepOfOneConsumerLeavesOthers(t *testing.T) {
	t.Parallel()
	s, dsn := open(t, postgres.Options{})
	postgres.ShortenSweeps(s, 300*time.Millisecond)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	now := time.Now()
	for _, st := range []string{
		`CREATE FUNCTION endless_sweep() RETURNS trigger LANGUAGE plpgsql AS
			$$ BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$`,
		`CREATE TRIGGER endless_sweep BEFORE UPDATE OF held ON deliveries FOR EACH ROW
			WHEN (OLD.held IS DISTINCT FROM NEW.held AND OLD.consumer = 'webhook:down') EXECUTE FUNCTION endless_sweep()`,
		`INSERT INTO outbox (id, type, payment_id, order_id, backend, to_status, amount, currency, captured, at)
			SELECT 'evt' || g, 'payment.status_changed', 'pay' || g, 'order', 'dummy', 'paid', 1000, 'PLN', 0, $1
			FROM generate_series(1, 5) g`,
		// webhook:down: dlv2 due behind dlv1 (a retry an hour away); marking
		// it held never ends.
		`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at)
			SELECT 'dlv' || g, 'evt' || g, g, 'pay1', 'webhook:down', 'pending',
				CASE WHEN g = 1 THEN $1::timestamptz + interval '1 hour' ELSE $1::timestamptz - interval '1 minute' END, $1, $1
			FROM generate_series(1, 2) g`,
		// webhook:up: dlv4 delivered, dlv5 still held behind it.
		`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, held, next_at, created_at, updated_at)
			SELECT 'dlv' || g, 'evt' || g, g, 'pay4', 'webhook:up', CASE WHEN g = 4 THEN 'delivered' ELSE 'pending' END, g = 5,
				$1::timestamptz - interval '1 minute', $1, $1
			FROM generate_series(4, 5) g`,
	} {
		var args []any
		if st[0] == 'I' {
			args = []any{now}
		}
		if _, err := conn.Exec(t.Context(), st, args...); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	for i := range 3 {
		got, err := s.ClaimDeliveries(t.Context(), getpaid.ClaimRequest{
			Owner: "test", Now: now, Lease: time.Minute, Limit: 10, Consumers: []string{"webhook:down", "webhook:up"},
		})
		if err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
		for _, c := range got {
			if c.Delivery.ID == "dlv5" {
				return
			}
		}
	}
	t.Fatal("webhook:up's dlv5 stayed held while webhook:down's sweep ran out of time")
}
