package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
	"github.com/getpaid-go/getpaid/storetest"
)

func TestConformance(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) storetest.DB { return schemaDB{dsn: pgtest.Schema(t)} })
}

// The README's setting behind PgBouncer in transaction mode
// (default_query_exec_mode=exec: no prepared statements, parameter types
// taken from the Go values) runs the same suite: a payment's buyer and
// redirect once failed to encode there, so no payment could be created.
func TestConformanceExecMode(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) storetest.DB {
		return schemaDB{dsn: pgtest.With(pgtest.Schema(t), map[string]string{"default_query_exec_mode": "exec"})}
	})
}

// schemaDB is one schema of the test database for the conformance suite:
// every handle is a Store of its own (a pool of its own), as another process
// would open it.
type schemaDB struct{ dsn string }

func (d schemaDB) Open(t *testing.T) getpaid.Store {
	t.Helper()
	s, err := d.OpenStore(t.Context(), false)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func (d schemaDB) OpenStore(ctx context.Context, noMigrate bool) (getpaid.Store, error) {
	s, err := postgres.Open(ctx, d.dsn, postgres.Options{MaxConns: 4, NoMigrate: noMigrate})
	if err != nil {
		return nil, err // not a typed nil
	}
	return s, nil
}

func (d schemaDB) Migrate(ctx context.Context, version int64) ([]int64, error) {
	return postgres.MigrateTo(ctx, d.dsn, version)
}

// SetNewer records version 9999 as goose would after applying it.
func (d schemaDB) SetNewer(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, d.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)")
	return err
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	ctx := t.Context()
	applied, err := postgres.Migrate(ctx, dsn)
	if err != nil || !slices.Equal(applied, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("Migrate = %v, %v; want [1 2 3 4 5 6 7 8 9]", applied, err)
	}
	if again, err := postgres.Migrate(ctx, dsn); err != nil || len(again) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing", again, err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1.
	_, err := postgres.Open(t.Context(), "postgres://getpaid:x@127.0.0.1:1/getpaid?connect_timeout=2", postgres.Options{})
	if !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("Open on a closed port: %v, want ErrUnavailable", err)
	}
	_, err = postgres.Open(t.Context(), "postgres://%zz", postgres.Options{})
	if err == nil || errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("Open with a bad DSN: %v, want a configuration error", err)
	}
}

// A database whose default isolation is serializable (ALTER DATABASE ...
// SET default_transaction_isolation = 'serializable', a setting some
// operators make for their own applications) runs the same suite: the
// store's transactions are made for read committed under row locks, and
// under serializable concurrent changes of one payment failed with
// serialization errors (503 to the brokers, duplicate webhooks).
func TestConformanceSerializableDefault(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) storetest.DB {
		return schemaDB{dsn: pgtest.With(pgtest.Schema(t), map[string]string{"default_transaction_isolation": "serializable"})}
	})
}

// Payments created at once by three processes on a database whose default
// isolation is serializable are all created: the create's one round trip
// was an implicit transaction of the database's default isolation, and a
// few in a hundred failed with "could not serialize access" (503 to the
// shop).
func TestCreateUnderSerializableDefault(t *testing.T) {
	t.Parallel()
	dsn := pgtest.With(pgtest.Schema(t), map[string]string{"default_transaction_isolation": "serializable"})
	ctx := t.Context()
	var stores []*postgres.Store
	for range 3 {
		s, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		stores = append(stores, s)
	}
	const n = 600
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	sem := make(chan struct{}, 24)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: fmt.Sprintf("o-%d", i), Backend: "dummy",
				Status: getpaid.StatusNew, Amount: getpaid.Money{Minor: 100, Currency: "PLN"}}
			_, err := stores[i%3].CreatePayment(ctx, p, getpaid.CreateOptions{
				Deliver: []getpaid.Subscription{{Consumer: "webhook:https://shop.example/hook"}},
				Then: &getpaid.Mutation{EventKey: "dummy:" + p.ID, Apply: func(p *getpaid.Payment) (bool, error) {
					p.Status = getpaid.StatusPrepared
					return true, nil
				}},
			})
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Errorf("%d of %d creates failed, the first: %v", len(errs), n, errs[0])
	}
}
