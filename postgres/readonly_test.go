package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// A database that accepts no writes (a hot standby the DSN reached after a
// failover, or default_transaction_read_only set on it) is unavailable, not
// a bug: writes failed with "cannot execute INSERT in a read-only
// transaction" (25006), which the HTTP layer answered 500 (to brokers'
// callbacks too), while /readyz said ready, so a balancer kept sending
// requests. Now every write is getpaid.ErrUnavailable (503, the broker
// retries) and Ready says why.
func TestReadOnlyDatabaseIsUnavailable(t *testing.T) {
	t.Parallel()
	rw, ro, p := readOnlyPair(t)
	q := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-ro", Backend: "dummy",
		Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("10.00", "PLN")}
	_, createErr := ro.CreatePayment(t.Context(), q, getpaid.CreateOptions{})
	_, updateErr := ro.UpdatePayment(t.Context(), p.ID, paid(p, "dummy:ro"))
	for name, err := range map[string]error{"CreatePayment": createErr, "UpdatePayment": updateErr} {
		if !errors.Is(err, getpaid.ErrUnavailable) {
			t.Errorf("%s on a read-only database: %v, want ErrUnavailable", name, err)
		}
	}
	err := ro.Ready(t.Context())
	if !errors.Is(err, getpaid.ErrUnavailable) || !errors.Is(err, getpaid.ErrReadOnly) || !strings.Contains(err.Error(), "primary") {
		t.Errorf("Ready on a read-only database: %v, want ErrUnavailable and ErrReadOnly, saying to use the primary", err)
	}
	if err := rw.Ready(t.Context()); err != nil {
		t.Errorf("Ready on the writable one: %v", err)
	}
}

// A connection whose database accepts no writes is dropped, not pooled
// again: after a failover the DSN (with target_session_attrs=read-write and
// several hosts) reaches the new primary on a new connection, while a
// connection to the demoted one would answer 25006 (503) until its
// lifetime ended, an hour by default. Each retry of a write that met 25006
// opens a connection of its own.
func TestReadOnlyConnectionDropped(t *testing.T) {
	t.Parallel()
	_, ro, p := readOnlyPair(t) // its read left a connection pooled
	before := postgres.NewConns(ro)
	if _, err := ro.UpdatePayment(t.Context(), p.ID, paid(p, "dummy:ro-drop")); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("a write on a read-only database: %v", err)
	}
	if _, err := ro.Payment(t.Context(), p.ID); err != nil {
		t.Fatalf("a read after: %v", err)
	}
	if opened := postgres.NewConns(ro) - before; opened < 2 {
		t.Errorf("%d connections opened by a failed write and a read after it; want the read-only one dropped each time (at least 2)", opened)
	}
}

// readOnlyPair opens a store on a schema of its own with a prepared payment
// (rw), and one on the same schema whose transactions are read-only (ro),
// which has read the payment once.
func readOnlyPair(t *testing.T) (rw, ro *postgres.Store, p *getpaid.Payment) {
	t.Helper()
	dsn := pgtest.Schema(t)
	rw, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rw.Close() })
	p = newPrepared(t, rw)
	ro, err = postgres.Open(t.Context(), pgtest.With(dsn, map[string]string{"default_transaction_read_only": "on"}),
		postgres.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ro.Close() })
	if _, err := ro.Payment(t.Context(), p.ID); err != nil {
		t.Fatalf("a read: %v", err)
	}
	return rw, ro, p
}
