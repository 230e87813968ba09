package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/getpaid-go/getpaid"
)

// do runs op, an attempt at one store operation, on a pooled connection,
// within the store's timeout. An attempt that failed in a way that
// guarantees nothing was committed (a connection lost or a deadlock before
// the commit was sent, PostgreSQL restarting) is tried again, up to
// attempts times: a process keeps working through a database restart
// without its callers seeing more than a short delay or ErrUnavailable.
// The error returned is classified (see classify) and prefixed with op's
// name.
func (s *Store) do(ctx context.Context, name string, op func(ctx context.Context, c *pgx.Conn) error) error {
	octx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var err error
	for n := 1; ; n++ {
		err = s.attempt(octx, op)
		if err == nil || n == attempts || !retryable(err) {
			break
		}
		select {
		case <-time.After(retryWait(n)):
			continue
		case <-octx.Done():
		}
		break
	}
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", name, classify(ctx, err))
	}
	return nil
}

// attempt runs op once on a connection of the pool. A connection left inside
// a transaction (op failed half way) is rolled back before it goes back. One
// whose database accepts no writes (25006: a standby, a primary demoted by
// a failover) is closed, so the pool drops it and a retry, or the next
// call, connects again (with target_session_attrs=read-write, to the new
// primary) instead of meeting it until its lifetime ends.
func (s *Store) attempt(ctx context.Context, op func(ctx context.Context, c *pgx.Conn) error) error {
	conn, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	err = op(ctx, conn.Conn())
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "25006" {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = conn.Conn().PgConn().Close(cctx)
		cancel()
		return err
	}
	if pc := conn.Conn().PgConn(); !pc.IsClosed() && pc.TxStatus() != 'I' {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		if _, rerr := conn.Exec(rctx, "ROLLBACK"); rerr != nil {
			_ = pc.Close(rctx) // the pool drops a closed connection
		}
		cancel()
	}
	return err
}

// commitBatch sends b, the batch that ends a transaction: the one its
// caller began when COMMIT is b's last query, else the implicit transaction
// of b's statements, which the batch's Sync commits. It reads the results
// one by one to tell what the server did, which it writes in order: an
// error the server reported before the commit point (a FATAL too: it never
// got to the commit) rolled everything back and is returned as is; a COMMIT
// the server confirmed is success, whatever happens to the connection after
// it; any other failure while the commit may have run is uncertain.
func commitBatch(ctx context.Context, c *pgx.Conn, b *pgx.Batch) error {
	n := b.Len()
	commit := n
	if n > 0 && b.QueuedQueries[n-1].SQL == "COMMIT" {
		commit = n - 1
	}
	br := c.SendBatch(ctx, b)
	for i := range n {
		tag, err := br.Exec()
		if err != nil {
			_ = br.Close()
			var pe *pgconn.PgError
			if i < commit && errors.As(err, &pe) {
				return err
			}
			return uncertain(err)
		}
		if i == commit {
			_ = br.Close() // committed: a connection that fails now is only dropped
			return committed(tag)
		}
	}
	return uncertain(br.Close())
}

// acquire takes a connection from the pool, waiting at most the store's
// AcquireTimeout: a pool exhausted for that long, or a database that does
// not answer, is getpaid.ErrUnavailable.
func (s *Store) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, s.acquireTimeout)
	defer cancel()
	conn, err := s.pool.Acquire(actx)
	if err == nil {
		return conn, nil
	}
	st := s.pool.Stat()
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w: no database connection within %s (%d of %d in use): %w",
			getpaid.ErrUnavailable, s.acquireTimeout, st.AcquiredConns(), st.MaxConns(), err)
	}
	if ctx.Err() != nil && st.AcquiredConns() >= st.MaxConns() {
		// The caller gave up first (a readiness check's deadline is
		// shorter): say why no connection came.
		return nil, fmt.Errorf("%w (all %d database connections in use)", err, st.MaxConns())
	}
	return nil, err
}

// readCommitted runs q, one statement, in a read-committed transaction of
// its own, in one round trip (BEGIN, q and COMMIT pipelined), whatever the
// database's default_transaction_isolation: under serializable, claims
// (UPDATE ... FOR UPDATE SKIP LOCKED) made by several processes at once
// failed with serialization errors. each reads one row; what it read
// counts only when the result is nil, the COMMIT confirmed.
func readCommitted(ctx context.Context, c *pgx.Conn, q string, args []any, each func(pgx.Rows) error) error {
	return readCommittedWithin(ctx, c, 0, q, args, each)
}

// readCommittedWithin is readCommitted with q stopped by PostgreSQL after
// limit (statement_timeout, for this transaction only; 0: none): a
// statement stopped so is an error, its work undone.
func readCommittedWithin(ctx context.Context, c *pgx.Conn, limit time.Duration, q string, args []any, each func(pgx.Rows) error) error {
	b := &pgx.Batch{}
	b.Queue("BEGIN ISOLATION LEVEL READ COMMITTED")
	if limit > 0 {
		// SET LOCAL, its time a parameter: one statement text, not one
		// prepared (and cached) per distinct limit.
		b.Queue("SELECT set_config('statement_timeout', $1, true)", strconv.FormatInt(max(limit.Milliseconds(), 1), 10))
	}
	b.Queue(q, args...)
	b.Queue("COMMIT")
	br := c.SendBatch(ctx, b)
	defer br.Close()
	for range b.Len() - 2 {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := each(rows); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	tag, err := br.Exec()
	if err != nil {
		return err
	}
	if err := committed(tag); err != nil {
		return err
	}
	return br.Close()
}

// committed is the outcome of a COMMIT that tag answered: an aborted
// transaction's COMMIT answers ROLLBACK.
func committed(tag pgconn.CommandTag) error {
	if tag.String() != "COMMIT" {
		return fmt.Errorf("COMMIT answered %q: the transaction had failed", tag.String())
	}
	return nil
}
