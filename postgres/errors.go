package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/getpaid-go/getpaid"
)

// SQLSTATE codes the store tells apart.
const (
	codeUniqueViolation = "23505"
	codeFKViolation     = "23503"
)

// transientCode reports whether a PostgreSQL error code says the database is
// failing, restarting, overloaded, accepts no writes (a standby) or had to
// abort the transaction for concurrency (serialization failure, deadlock),
// as opposed to refusing what was asked. The transaction was rolled back; trying again may succeed.
func transientCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), // connection exception
		strings.HasPrefix(code, "40"),  // transaction rollback: serialization failure, deadlock
		strings.HasPrefix(code, "53"),  // insufficient resources: too many connections, out of memory or disk
		strings.HasPrefix(code, "57P"), // admin/crash shutdown, cannot connect now
		strings.HasPrefix(code, "58"),  // system error (I/O)
		code == "55P03",                // lock not available
		code == "25P03",                // idle in transaction timeout: the session ended, rolled back
		code == "25006",                // read-only transaction: a standby (a failover in progress), or writes switched off
		code == "57014":                // query cancelled (statement timeout)
		return true
	}
	return false
}

// schemaMoved reports whether a PostgreSQL error code says a statement met
// a table or column that is not there (undefined table, undefined column):
// the schema is not the one this package made, as when a newer getpaid
// migrated the database past this process during a rolling upgrade. The
// statement's transaction was rolled back; the request is not at fault, so
// it is ErrUnavailable (a broker retries, by then on the new version), but
// it is not retried here: only replacing the process helps.
func schemaMoved(code string) bool { return code == "42P01" || code == "42703" }

// replanned reports whether pe says a statement prepared on the connection
// earlier returns other types now (a migration changed a column's type
// while the process ran): it changed nothing, and pgx drops the statement,
// so trying again prepares it anew and succeeds.
func replanned(pe *pgconn.PgError) bool {
	return pe.Code == "0A000" && strings.Contains(pe.Message, "cached plan must not change result type")
}

// maybeCommitted is a failure of the connection while a commit may have
// been on its way: the change may or may not be in the database, so it is
// never retried.
type maybeCommitted struct{ err error }

func (e *maybeCommitted) Error() string {
	return "connection lost while committing (the change may have been made): " + e.err.Error()
}
func (e *maybeCommitted) Unwrap() error { return e.err }

// uncertain marks err, a failure while a commit was in flight, as
// maybeCommitted unless the server reported it as an error of the statement
// (then the transaction was rolled back: a failing statement makes
// PostgreSQL skip the rest of the pipeline, COMMIT included) or nothing had
// been sent. A FATAL is not such an error: a server told to shut down while
// it commits finishes the commit, then ends the session with "terminating
// connection due to administrator command" (57P01) when it reads the
// client's next message.
func uncertain(err error) error {
	var pe *pgconn.PgError
	if err == nil || errors.As(err, &pe) && !endsSession(pe) || pgconn.SafeToRetry(err) {
		return err
	}
	return &maybeCommitted{err}
}

// endsSession reports whether pe ended the server's session (FATAL, PANIC)
// rather than failed one statement (ERROR).
func endsSession(pe *pgconn.PgError) bool {
	return strings.EqualFold(pe.Severity, "FATAL") || strings.EqualFold(pe.Severity, "PANIC")
}

// retryable reports whether an attempt that failed with err may be run again:
// nothing was committed, and the failure is of the database or the
// connection, not a refusal of what was asked.
func retryable(err error) bool {
	var (
		pe *pgconn.PgError
		mc *maybeCommitted
	)
	switch {
	case err == nil, errors.As(err, &mc):
		return false
	case errors.As(err, &pe):
		return transientCode(pe.Code) || replanned(pe)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	return isConnErr(err)
}

// isConnErr reports whether err is a failure to reach or keep a connection:
// connect errors, network errors, a connection closed under a query, a
// closed pool.
func isConnErr(err error) bool {
	var (
		ce *pgconn.ConnectError
		ne net.Error
	)
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "closed pool")
}

// classify turns an operation's final error into the store's: the caller's
// own cancellation as is; a failure of the database or the connection (the
// store's own timeout included) as getpaid.ErrUnavailable; anything else (a
// refusal the operation mapped, an error of Apply, a bug) as is.
func classify(parent context.Context, err error) error {
	var (
		pe *pgconn.PgError
		mc *maybeCommitted
	)
	ctxErr := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	switch {
	case err == nil, errors.Is(err, getpaid.ErrUnavailable):
		return err
	case parent.Err() != nil && (ctxErr || isConnErr(err)):
		return fmt.Errorf("%w: %w", parent.Err(), err)
	case errors.As(err, &mc), refusedConnect(err):
		return fmt.Errorf("%w: %w", getpaid.ErrUnavailable, err)
	case errors.As(err, &pe):
		if transientCode(pe.Code) || replanned(pe) {
			return fmt.Errorf("%w: %w", getpaid.ErrUnavailable, err)
		}
		if schemaMoved(pe.Code) {
			return fmt.Errorf("%w: the database's schema is not this getpaid's (migrated by a newer one? run that version): %w",
				getpaid.ErrUnavailable, err)
		}
		return err
	case ctxErr, isConnErr(err): // the store's own deadline, or the connection
		return fmt.Errorf("%w: %w", getpaid.ErrUnavailable, err)
	}
	return err
}

// refusedConnect reports whether err is a new connection the server
// refused (pgx's ConnectError wrapping its FATAL: the database dropped or
// closed to connections, the role's password changed). Nothing ran: while
// the store runs, that is the database away, whatever the code says (Open
// tells the configuration errors among them apart first).
func refusedConnect(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}

// unavailable marks err as getpaid.ErrUnavailable when it is a failure to
// reach or keep the database (used where errors also come from other code,
// such as the migration runner).
func unavailable(err error) error {
	var pe *pgconn.PgError
	switch {
	case err == nil, errors.Is(err, getpaid.ErrUnavailable), isSchemaError(err):
		return err
	case refusedConnect(err):
		return fmt.Errorf("%w: %w", getpaid.ErrUnavailable, err)
	case errors.As(err, &pe):
		if transientCode(pe.Code) {
			return fmt.Errorf("%w: %w", getpaid.ErrUnavailable, err)
		}
		return err
	case isConnErr(err):
		return fmt.Errorf("%w: %w", getpaid.ErrUnavailable, err)
	}
	return err
}

// isUnique reports whether err is a unique violation of constraint (any
// constraint when empty).
func isUnique(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == codeUniqueViolation && (constraint == "" || pe.ConstraintName == constraint)
}

// attempts is how often an operation is tried when it fails in a way that
// guarantees nothing was committed.
const attempts = 3

// retryWait is the wait before retry n (1, 2, ...): 20 ms, then 100 ms.
func retryWait(n int) time.Duration {
	if n <= 1 {
		return 20 * time.Millisecond
	}
	return 100 * time.Millisecond
}
