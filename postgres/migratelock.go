package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pressly/goose/v3/lock"
)

// txLocker serialises migrations of one database and schema across
// processes with a transaction-level advisory lock
// (pg_try_advisory_xact_lock), held by a transaction of its own on a
// connection of its own that stays open while goose migrates on another,
// and ended (rolled back: it writes nothing) when it is done. Unlike a
// session-level lock, it holds behind a transaction-mode pooler such as
// PgBouncer, which gives a client's transaction one server connection from
// BEGIN to its end but its next statement maybe another: a session lock was
// taken on one and its release tried on another. A process that dies ends
// its transaction, and so its lock, with its connection.
type txLocker struct {
	id    int64
	every time.Duration // between tries
	tries int
	tx    *sql.Tx
}

var _ lock.Locker = (*txLocker)(nil)

// Lock implements lock.Locker: it tries every l.every, l.tries times, each
// time in a transaction of its own. A transaction that waited between tries
// would hold up a migration's CREATE INDEX CONCURRENTLY, which waits for
// every transaction that began before its build to end: that of a process
// waiting for its turn, from the other's lock, ends only when it gives up.
func (l *txLocker) Lock(ctx context.Context, db *sql.DB) error {
	for n := 1; ; n++ {
		tx, err := l.try(ctx, db)
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		if tx != nil {
			l.tx = tx
			return nil
		}
		if n >= l.tries {
			return fmt.Errorf("migration lock: another getpaid migrates this database and schema (still after %s)",
				time.Duration(l.tries)*l.every)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migration lock: %w", ctx.Err())
		case <-time.After(l.every):
		}
	}
}

// try takes the lock in a new transaction and returns it, or nil when
// another holds the lock.
func (l *txLocker) try(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	// Read committed whatever the database's default: it holds no
	// snapshot while it idles.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return nil, err
	}
	var locked bool
	if err := tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock($1)", l.id).Scan(&locked); err != nil || !locked {
		_ = tx.Rollback()
		return nil, err
	}
	// The transaction idles while goose migrates: a server's
	// idle_in_transaction_session_timeout must not end it (and the lock)
	// half way. This statement also ends the portal of the one before
	// (the driver's unnamed portal, kept until the next), and with it the
	// snapshot that made the transaction hold back CREATE INDEX
	// CONCURRENTLY (and VACUUM) for as long as goose migrates.
	if _, err := tx.ExecContext(ctx, "SET LOCAL idle_in_transaction_session_timeout = 0"); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// Unlock implements lock.Locker: it ends the lock's transaction.
func (l *txLocker) Unlock(context.Context, *sql.DB) error {
	if l.tx == nil {
		return errors.New("migration lock: not held")
	}
	tx := l.tx
	l.tx = nil
	if err := tx.Rollback(); err != nil {
		// The connection was lost: the lock went with it, maybe before
		// the migrations ended.
		return fmt.Errorf("migration lock: release: %w", err)
	}
	return nil
}
