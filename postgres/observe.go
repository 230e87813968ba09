package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3/database"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/migrate"
)

// Ready implements getpaid.Readier: the database answers through the pool,
// accepts writes (not a standby, not default_transaction_read_only), and
// its schema is the one this package's migrations make (neither behind
// nor ahead: a database migrated by a newer getpaid during a rolling
// upgrade turns the older servers unready).
func (s *Store) Ready(ctx context.Context) error {
	var readOnly string
	err := s.do(ctx, "ready", func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT current_setting('transaction_read_only')").Scan(&readOnly)
	})
	if err != nil {
		return err // "postgres: ready: ..." already
	}
	if readOnly == "on" {
		return fmt.Errorf("postgres: ready: %w: %w (a standby, or default_transaction_read_only): "+
			"point the DSN at the primary (target_session_attrs=read-write with several hosts)", getpaid.ErrUnavailable, getpaid.ErrReadOnly)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	err = migrate.Check(ctx, migrate.Config{Dialect: database.DialectPostgres, DB: db, FS: migrations()})
	if err != nil {
		if !errors.Is(err, getpaid.ErrSchemaNewer) && !errors.Is(err, getpaid.ErrSchemaOutdated) {
			err = unavailable(err)
		}
		return fmt.Errorf("postgres: ready: %w", err)
	}
	return nil
}

// DatabaseClock implements getpaid.ClockReader: the server's
// clock_timestamp() (the time as the query runs, not its transaction's
// start, as now() would be).
func (s *Store) DatabaseClock(ctx context.Context) (time.Time, error) {
	var at time.Time
	err := s.do(ctx, "clock", func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&at)
	})
	if err != nil {
		return time.Time{}, err
	}
	return at.UTC(), nil
}

// Backlog implements getpaid.BacklogReporter: the pending deliveries (a
// partial index holds exactly those), when the oldest was written, and the
// dead ones (counted on the deliveries_state index).
func (s *Store) Backlog(ctx context.Context) (getpaid.Backlog, error) {
	var b getpaid.Backlog
	err := s.do(ctx, "backlog", func(ctx context.Context, c *pgx.Conn) error {
		var oldest *time.Time
		if err := c.QueryRow(ctx, "SELECT COUNT(*), MIN(created_at) FROM deliveries WHERE state = 'pending'").Scan(&b.Pending, &oldest); err != nil {
			return err
		}
		if err := c.QueryRow(ctx, "SELECT COUNT(*) FROM deliveries WHERE state = 'dead'").Scan(&b.Dead); err != nil {
			return err
		}
		// Flagged ones are counted along operations_flagged, which holds
		// them only: settled ones too (the broker contradicted how they
		// ended).
		if err := c.QueryRow(ctx, "SELECT COUNT(*) FROM operations WHERE state = 'unknown'").Scan(&b.InDoubt); err != nil {
			return err
		}
		if err := c.QueryRow(ctx, "SELECT COUNT(*) FROM operations WHERE flagged").Scan(&b.Flagged); err != nil {
			return err
		}
		b.Oldest = time.Time{}
		if oldest != nil {
			b.Oldest = oldest.UTC()
		}
		return nil
	})
	if err != nil {
		return getpaid.Backlog{}, fmt.Errorf("postgres: backlog: %w", err)
	}
	return b, nil
}
