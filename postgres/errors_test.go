package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/getpaid-go/getpaid"
)

// TestClassify pins which failures are getpaid.ErrUnavailable (503, retry
// later) and which are retried inside the store: only those where nothing
// can have been committed.
func TestClassify(t *testing.T) {
	t.Parallel()
	pg := func(code string) error { return &pgconn.PgError{Code: code, Message: "x"} }
	boom := errors.New("apply refused")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name        string
		parent      context.Context
		err         error
		unavailable bool
		retry       bool
	}{
		{"serialization failure", context.Background(), pg("40001"), true, true},
		{"deadlock", context.Background(), pg("40P01"), true, true},
		{"too many connections", context.Background(), pg("53300"), true, true},
		{"admin shutdown (restart)", context.Background(), pg("57P01"), true, true},
		{"starting up", context.Background(), pg("57P03"), true, true},
		{"connection failure", context.Background(), pg("08006"), true, true},
		{"statement timeout", context.Background(), pg("57014"), true, true},
		{"unique violation", context.Background(), pg("23505"), false, false},
		{"syntax error (a bug)", context.Background(), pg("42601"), false, false},
		// A newer getpaid migrated the schema past this process: not the
		// request's fault, and no retry here helps.
		{"undefined column", context.Background(), pg("42703"), true, false},
		{"undefined table", context.Background(), pg("42P01"), true, false},
		// A column's type changed under a prepared statement: pgx prepares
		// it again on the next try.
		{"cached plan changed", context.Background(),
			&pgconn.PgError{Code: "0A000", Message: "cached plan must not change result type"}, true, true},
		{"feature not supported", context.Background(), pg("0A000"), false, false},
		{"connect refused", context.Background(), &pgconn.ConnectError{}, true, true},
		{"connection reset", context.Background(), fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true, true},
		{"lost while committing", context.Background(), uncertain(io.EOF), true, false},
		{"shut down while committing", context.Background(),
			uncertain(&pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "x"}), true, false},
		{"the store's own deadline", context.Background(), context.DeadlineExceeded, true, false},
		{"pool exhausted", context.Background(), fmt.Errorf("%w: no connection", getpaid.ErrUnavailable), true, false},
		{"Apply's error", context.Background(), boom, false, false},
		{"a refusal", context.Background(), getpaid.ErrDuplicateEvent, false, false},
		{"the caller hung up", cancelled, context.Canceled, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := classify(tt.parent, tt.err)
			if errors.Is(got, getpaid.ErrUnavailable) != tt.unavailable {
				t.Errorf("classify(%v) = %v; unavailable %v, want %v", tt.err, got, !tt.unavailable, tt.unavailable)
			}
			if !errors.Is(got, tt.err) && !errors.As(got, new(*pgconn.PgError)) {
				t.Errorf("classify(%v) = %v lost the cause", tt.err, got)
			}
			if r := retryable(tt.err); r != tt.retry {
				t.Errorf("retryable(%v) = %v, want %v", tt.err, r, tt.retry)
			}
		})
	}
	if got := classify(cancelled, &pgconn.ConnectError{}); !errors.Is(got, context.Canceled) || errors.Is(got, getpaid.ErrUnavailable) {
		t.Errorf("a connection error after the caller hung up = %v, want the caller's context.Canceled", got)
	}
	// A failure the server reported inside a transaction rolled it back;
	// one it did not report leaves the commit in doubt.
	if err := uncertain(pg("40P01")); !retryable(err) {
		t.Errorf("a deadlock reported by the server is in doubt: %v", err)
	}
}
