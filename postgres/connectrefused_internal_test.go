package postgres

import (
	"errors"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/getpaid-go/getpaid"
)

// A connection the server refuses once the store runs (the database dropped
// or closed to connections, the role's password changed) fails the request,
// not the request's input: it is getpaid.ErrUnavailable, so a broker's
// notification is answered 503 and retried, never 500. pgx reports these as
// a ConnectError wrapping the server's FATAL, whose code alone (3D000,
// 28P01, 55000) would not say so.
func TestClassifyConnectionRefusedByTheServer(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("GETPAID_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("GETPAID_TEST_POSTGRES_DSN is not set")
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		t.Skip("the test DSN is not a URL")
	}
	u.Path = "/getpaid_dropped_while_running"
	_, err = pgconn.Connect(t.Context(), u.String())
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) || !errors.As(err, &pe) {
		t.Fatalf("connecting to a missing database: %v; want a ConnectError with the server's error", err)
	}
	if got := classify(t.Context(), err); !errors.Is(got, getpaid.ErrUnavailable) {
		t.Errorf("classify(%v) = %v; want ErrUnavailable", err, got)
	}
}
