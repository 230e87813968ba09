package postgres_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// TestMigrationIndexDoesNotStopDeliveryWrites: migration 009 built
// deliveries_ready in its transaction, after its ALTER TABLE, so for the
// whole build over a large deliveries table it held ACCESS EXCLUSIVE and
// SHARE locks on it: during a rolling upgrade the running servers' writes
// of deliveries (every payment change that makes an event) and their
// claims waited for the build, callbacks timed out, brokers retried. The
// build is held here at a point where it has begun (by a transaction
// older than it, and a lock on goose's version table, which a build in
// the migration's transaction reaches with its locks still held): the
// migration holds no lock on deliveries that a write waits for, and a
// write goes through. The build, cancelled there (as by an operator or a
// restart), leaves an invalid index that the next run replaces.
func TestMigrationIndexDoesNotStopDeliveryWrites(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	ctx := t.Context()
	if _, err := postgres.MigrateTo(ctx, dsn, 8); err != nil {
		t.Fatal(err)
	}
	conn := func() *pgx.Conn {
		t.Helper()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	server, watcher, holder := conn(), conn(), conn()
	for _, q := range []string{
		`INSERT INTO outbox (id, type, payment_id, order_id, backend, to_status, amount, currency, captured, at)
			VALUES ('evt_1', 'payment.paid', 'pay_1', 'o1', 'dummy', 'paid', 100, 'PLN', 100, now())`,
		`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at)
			SELECT 'dlv_' || i, 'evt_1', 1, 'pay_1', 'webhook:' || (i % 3), 'pending', now(), now(), now()
			FROM generate_series(1, 1000) i`,
	} {
		if _, err := server.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := holder.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, "LOCK TABLE goose_db_version IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT count(*) FROM outbox"); err != nil {
		t.Fatal(err)
	}
	migrated := make(chan error, 1)
	go func() {
		_, err := postgres.Migrate(context.Background(), dsn)
		migrated <- err
	}()
	// The migration's backend: it holds a lock on deliveries and waits.
	var pid int32
	var modes []string
	for deadline := time.Now().Add(60 * time.Second); ; {
		err := watcher.QueryRow(ctx, `SELECT l.pid, array_agg(l.mode::text ORDER BY l.mode)
			FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.relation = 'deliveries'::regclass AND l.granted AND a.wait_event_type = 'Lock'
				AND l.pid <> pg_backend_pid()
			GROUP BY l.pid`).Scan(&pid, &modes)
		if err == nil {
			break
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
		select {
		case err := <-migrated:
			t.Fatalf("the migration ended (%v) before it was seen building", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the migration was never seen building")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, m := range modes {
		// The modes that conflict with a write's ROW EXCLUSIVE.
		if slices.Contains([]string{"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}, m) {
			t.Errorf("while the index is built the migration holds %s on deliveries (all: %v): the servers' writes wait", m, modes)
		}
	}
	// A server's write of a delivery, as a payment change makes, does not
	// wait for a lock (lock_timeout counts only the wait).
	if _, err := server.Exec(ctx, "SET lock_timeout = '1s'"); err != nil {
		t.Fatal(err)
	}
	_, err = server.Exec(ctx, `INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at)
		VALUES ('dlv_new', 'evt_1', 1, 'pay_1', 'webhook:0', 'pending', now(), now(), now())`)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55P03" {
		t.Errorf("a server's INSERT into deliveries waited for the migration's index build: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	// Cancelled half way: the build leaves its index behind, invalid.
	if _, err := watcher.Exec(ctx, "SELECT pg_cancel_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	if err := <-migrated; err == nil {
		t.Fatal("the cancelled migration succeeded")
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var invalid bool
	if err := watcher.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_index
		WHERE indexrelid = to_regclass('deliveries_ready') AND NOT indisvalid)`).Scan(&invalid); err != nil {
		t.Fatal(err)
	}
	if !invalid {
		t.Fatal("the cancelled build left no invalid deliveries_ready: the next run's drop of one goes untried")
	}
	mctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if applied, err := postgres.Migrate(mctx, dsn); err != nil || !slices.Equal(applied, []int64{9}) {
		t.Fatalf("the migration run again: %v, %v; want 9 applied", applied, err)
	}
	var def string
	if err := watcher.QueryRow(ctx, `SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
		WHERE i.indexrelid = to_regclass('deliveries_ready') AND i.indisvalid AND i.indisready`).Scan(&def); err != nil {
		t.Fatalf("deliveries_ready after the migration ran again: %v", err)
	}
	if want := "USING btree (consumer, next_at, event_seq) WHERE ((state = 'pending'::text) AND (NOT held))"; !strings.HasSuffix(def, want) {
		t.Errorf("deliveries_ready after the migration ran again: %s, want ... %s", def, want)
	}
	var held int
	if err := watcher.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE held").Scan(&held); err != nil || held != 0 {
		t.Fatalf("held deliveries after the migration: %d, %v; want none", held, err)
	}
}

// TestMigrationIndexDoesNotWaitForTheNextServer: in a rolling upgrade
// several servers start and migrate at once, one at a time under the
// migration lock. CREATE INDEX CONCURRENTLY waits for every transaction
// older than its build to end, and the transaction in which a server
// waited for its turn lasted until it gave up (five minutes): the
// migration stopped that long, and every server waiting failed to start.
// Each try at the lock is now a transaction of its own.
func TestMigrationIndexDoesNotWaitForTheNextServer(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	ctx := t.Context()
	if _, err := postgres.MigrateTo(ctx, dsn, 8); err != nil {
		t.Fatal(err)
	}
	watcher, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close(context.Background())
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	// A transaction older than the build holds it until it ends.
	tx, err := holder.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, "SELECT count(*) FROM outbox"); err != nil {
		t.Fatal(err)
	}
	type result struct {
		applied []int64
		err     error
	}
	mctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	migrate := func() <-chan result {
		c := make(chan result, 1)
		go func() {
			applied, err := postgres.Migrate(mctx, dsn)
			c <- result{applied, err}
		}()
		return c
	}
	waitFor := func(what, query string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; {
			var ok bool
			if err := watcher.QueryRow(ctx, query).Scan(&ok); err != nil {
				t.Fatal(err)
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not seen", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	first := migrate()
	waitFor("the first migration building", `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE application_name = current_setting('application_name') AND wait_event_type = 'Lock'
			AND query LIKE 'CREATE INDEX CONCURRENTLY%')`)
	second := migrate()
	// The second has tried the lock (the first's transaction's last
	// statement is not its try).
	waitFor("the second migration waiting", `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE application_name = current_setting('application_name') AND query LIKE '%pg_try_advisory_xact_lock%')`)
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if r := <-first; r.err != nil || !slices.Equal(r.applied, []int64{9}) {
		t.Fatalf("first migration: %v, %v after %s; want 9 applied", r.applied, r.err, time.Since(start))
	}
	if r := <-second; r.err != nil || len(r.applied) != 0 {
		t.Fatalf("second migration: %v, %v; want nothing applied", r.applied, r.err)
	}
}
