package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// open opens a store on a new schema and returns it with the schema's DSN.
func open(t *testing.T, opts postgres.Options) (*postgres.Store, string) {
	t.Helper()
	dsn := pgtest.Schema(t)
	s, err := postgres.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, dsn
}

// newPrepared creates a prepared payment.
func newPrepared(t *testing.T, s getpaid.Store) *getpaid.Payment {
	t.Helper()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-" + t.Name(), Backend: "dummy",
		Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("10.00", "PLN")}
	res, err := s.CreatePayment(t.Context(), p, getpaid.CreateOptions{Then: &getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) {
		return true, getpaid.MarkPrepared(q, "", &getpaid.Redirect{Method: "GET", URL: "https://b.example"})
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Payment
}

// paid is the mutation of a broker's paid notification.
func paid(p *getpaid.Payment, key string) getpaid.Mutation {
	return getpaid.Mutation{EventKey: key, Cause: "paid", Apply: func(q *getpaid.Payment) (bool, error) {
		return getpaid.Apply(q, &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true})
	}}
}

// terminate ends every server process of the connections opened with dsn
// (they report the schema as application_name), as a PostgreSQL restart
// would, and returns how many it ended.
func terminate(t *testing.T, dsn string) int {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	app := u.Query().Get("application_name")
	conn, err := pgx.Connect(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var n int
	err = conn.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()) x`, app).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConnectionsKilled ends the store's connections under it: the next
// operations succeed on new ones, without reopening the store.
func TestConnectionsKilled(t *testing.T) {
	t.Parallel()
	s, dsn := open(t, postgres.Options{MaxConns: 3})
	p := newPrepared(t, s)
	for round := range 3 {
		if n := terminate(t, dsn); n == 0 && round == 0 {
			t.Fatal("no connection of the store to end")
		}
		if _, err := s.Payment(t.Context(), p.ID); err != nil {
			t.Fatalf("round %d: Payment after the connections were ended: %v", round, err)
		}
		terminate(t, dsn)
		if _, err := s.UpdatePayment(t.Context(), p.ID, getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) {
			q.Description = "round"
			return true, nil
		}}); err != nil {
			t.Fatalf("round %d: UpdatePayment after the connections were ended: %v", round, err)
		}
	}
	if got, err := s.Payment(t.Context(), p.ID); err != nil || got.Version != 2+3 {
		t.Fatalf("after 3 rounds: %+v, %v; want version 5 (each update once)", got, err)
	}
}

// TestPoolExhausted holds the only connection: another operation gives up
// after AcquireTimeout with ErrUnavailable, and nothing changes.
func TestPoolExhausted(t *testing.T) {
	t.Parallel()
	// Long enough for making the connection on a busy machine (under
	// -race, with the other tests): the store's own operations must get it.
	s, _ := open(t, postgres.Options{MaxConns: 1, AcquireTimeout: 2 * time.Second})
	p := newPrepared(t, s)
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := s.UpdatePayment(context.Background(), p.ID, getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) {
			close(holding)
			<-release
			return false, nil
		}})
		done <- err
	}()
	<-holding
	_, err := s.UpdatePayment(t.Context(), p.ID, paid(p, "dummy:exhausted"))
	// A readiness check gives up first (its own deadline, shorter than
	// AcquireTimeout): the log of /readyz says why the database did not
	// answer in time.
	rctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	rerr := s.Ready(rctx)
	cancel()
	close(release)
	if !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("UpdatePayment with the pool exhausted: %v, want ErrUnavailable", err)
	}
	if !errors.Is(rerr, context.DeadlineExceeded) || !strings.Contains(rerr.Error(), "all 1 database connections in use") ||
		strings.Count(rerr.Error(), "postgres: ready") != 1 {
		t.Errorf("Ready with the pool exhausted: %v; want its deadline, saying all 1 database connections are in use", rerr)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, err := s.Payment(t.Context(), p.ID)
	if err != nil || got.Status != getpaid.StatusPrepared {
		t.Fatalf("after the refused update: %+v, %v", got, err)
	}
	if applied, _ := s.EventApplied(t.Context(), p.ID, "dummy:exhausted"); applied {
		t.Fatal("the refused update recorded its event")
	}
}

// TestLockTimeout keeps a payment's row locked by another transaction past
// the store's Timeout: the update is ErrUnavailable and changes nothing;
// once the lock goes, the same update applies.
func TestLockTimeout(t *testing.T) {
	t.Parallel()
	s, dsn := open(t, postgres.Options{Timeout: 300 * time.Millisecond})
	// The payment is made, and the update applied at the end, through a
	// handle with the default timeout: a loaded machine may need more than
	// 300 ms for either.
	s2, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	p := newPrepared(t, s2)
	other, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	tx, err := other.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "SELECT 1 FROM payments WHERE id = $1 FOR UPDATE", p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdatePayment(t.Context(), p.ID, paid(p, "dummy:locked"))
	if !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("UpdatePayment of a locked row past the timeout: %v, want ErrUnavailable", err)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Nothing was recorded: the same event applies.
	res, err := s2.UpdatePayment(t.Context(), p.ID, paid(p, "dummy:locked"))
	if err != nil || res.Payment.Status != getpaid.StatusPaid {
		t.Fatalf("the same update after the lock went: %+v, %v", res, err)
	}
}

// TestClosed refuses operations on a closed store with ErrUnavailable.
func TestClosed(t *testing.T) {
	t.Parallel()
	s, _ := open(t, postgres.Options{})
	p := newPrepared(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Payment(t.Context(), p.ID); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Errorf("Payment after Close: %v, want ErrUnavailable", err)
	}
	if _, err := s.UpdatePayment(t.Context(), p.ID, paid(p, "dummy:closed")); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Errorf("UpdatePayment after Close: %v, want ErrUnavailable", err)
	}
}

// TestReadyFollowsTheDatabase: ready on a migrated schema; unready, saying
// why, when a newer getpaid migrated the database past this one (a rolling
// upgrade); ready again when that is undone; unavailable once closed.
func TestReadyFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	s, dsn := open(t, postgres.Options{})
	if err := s.Ready(t.Context()); err != nil {
		t.Fatalf("Ready on a migrated schema: %v", err)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), "INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(t.Context()); !errors.Is(err, getpaid.ErrSchemaNewer) {
		t.Errorf("Ready with the database migrated by a newer getpaid: %v, want ErrSchemaNewer", err)
	}
	if _, err := conn.Exec(t.Context(), "DELETE FROM goose_db_version WHERE version_id = 999"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(t.Context()); err != nil {
		t.Errorf("Ready once the newer version is gone: %v", err)
	}
	_ = s.Close()
	if err := s.Ready(t.Context()); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Errorf("Ready after Close: %v, want ErrUnavailable", err)
	}
}

// TestFrozenHolderLetsGo: a process that froze (stopped, paused, cut off
// from the network) in the middle of a change of a payment, its row locked,
// does not block that payment's changes by every other process for as long
// as it stays frozen: the database ends its session, and another handle's
// update applies within that handle's Timeout. The frozen one, once it
// runs again, has its change applied on a new connection.
func TestFrozenHolderLetsGo(t *testing.T) {
	t.Parallel()
	frozen, dsn := open(t, postgres.Options{})
	other, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	p := newPrepared(t, frozen)
	holding, thaw := make(chan struct{}), make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		_, err := frozen.UpdatePayment(context.Background(), p.ID, getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) {
			once.Do(func() { close(holding) })
			<-thaw // frozen between the lock and the commit
			q.Description = "after the thaw"
			return true, nil
		}})
		done <- err
	}()
	<-holding
	start := time.Now()
	res, err := other.UpdatePayment(t.Context(), p.ID, paid(p, "dummy:frozen"))
	close(thaw)
	if err != nil || res.Payment.Status != getpaid.StatusPaid {
		t.Fatalf("UpdatePayment while another process holds the row, frozen: %+v, %v (after %s); want paid", res, err, time.Since(start))
	}
	if err := <-done; err != nil {
		t.Fatalf("the frozen process's update once it runs again: %v", err)
	}
	got, err := other.Payment(t.Context(), p.ID)
	if err != nil || got.Status != getpaid.StatusPaid || got.Description != "after the thaw" {
		t.Fatalf("after both: %+v, %v; want paid, with the thawed change applied on top", got, err)
	}
}

// TestSchemaMovedUnderIt: a newer getpaid migrated the database past this
// one (a rolling upgrade) and changed a table it uses: a write or read that
// meets a column or table that is not there is ErrUnavailable (the HTTP
// layer answers 503: a broker retries, by then on the new version), not an
// error of the request (an internal error, HTTP 500), and changes nothing.
func TestSchemaMovedUnderIt(t *testing.T) {
	t.Parallel()
	s, dsn := open(t, postgres.Options{})
	p := newPrepared(t, s)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), "ALTER TABLE payments RENAME COLUMN fraud TO fraud_status"); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdatePayment(t.Context(), p.ID, paid(p, "dummy:moved"))
	if !errors.Is(err, getpaid.ErrUnavailable) {
		t.Errorf("UpdatePayment with a column gone: %v, want ErrUnavailable", err)
	}
	_, err = s.Payment(t.Context(), p.ID)
	if !errors.Is(err, getpaid.ErrUnavailable) {
		t.Errorf("Payment with a column gone: %v, want ErrUnavailable", err)
	}
	if _, err := conn.Exec(t.Context(), "ALTER TABLE outbox RENAME TO outbox_v2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Events(t.Context(), getpaid.EventFilter{PaymentID: p.ID}); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Errorf("Events with the table gone: %v, want ErrUnavailable", err)
	}
	if applied, err := s.EventApplied(t.Context(), p.ID, "dummy:moved"); err != nil || applied {
		t.Errorf("the refused update recorded its event: %v, %v", applied, err)
	}
}

// TestColumnTypeChangedUnderIt: a migration changed the type of a column
// this process reads (text to varchar) while it ran: each connection's
// prepared statements then fail once ("cached plan must not change result
// type"), having changed nothing, and pgx prepares them again. The store
// tries once more instead of failing the request (an internal error, HTTP
// 500, once per connection and statement).
func TestColumnTypeChangedUnderIt(t *testing.T) {
	t.Parallel()
	s, dsn := open(t, postgres.Options{MaxConns: 1}) // one connection: the one whose statements are cached
	p := newPrepared(t, s)
	if _, err := s.Payment(t.Context(), p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdatePayment(t.Context(), p.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil }}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), "ALTER TABLE payments ALTER COLUMN description TYPE varchar(500)"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Payment(t.Context(), p.ID); err != nil {
		t.Errorf("Payment after the column's type changed: %v", err)
	}
	if _, err := s.UpdatePayment(t.Context(), p.ID, paid(p, "dummy:retyped")); err != nil {
		t.Errorf("UpdatePayment after the column's type changed: %v", err)
	}
	if got, err := s.Payment(t.Context(), p.ID); err != nil || got.Status != getpaid.StatusPaid || got.Version != p.Version+1 {
		t.Errorf("after the update: %+v, %v; want paid, applied once", got, err)
	}
}
