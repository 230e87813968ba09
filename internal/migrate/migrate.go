// Package migrate applies the SQL stores' embedded migrations with goose's
// Provider (github.com/pressly/goose/v3): versions recorded in the table
// goose_db_version, one transaction per migration (unless its file says
// "-- +goose NO TRANSACTION"), a lock so that two processes starting at
// once do not both migrate, and a refusal of a database whose schema is
// newer than the migrations this binary carries.
//
// Migrations are files "NNN_name.sql" with goose's "-- +goose Up" header.
package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"

	"github.com/getpaid-go/getpaid"
)

// Config says which database and migrations to work on.
type Config struct {
	Dialect database.Dialect // database.DialectSQLite3 or database.DialectPostgres
	DB      *sql.DB
	FS      fs.FS // the migrations, at its root
	// Locker serialises migrations across processes on the connection
	// that migrates; nil means none.
	Locker lock.SessionLocker
	// DBLocker, instead of Locker, serialises them on a connection of DB
	// of its own (PostgreSQL: a lock that holds behind a transaction-mode
	// pooler, where a session is not the client's).
	DBLocker lock.Locker
	// Legacy, if set, adopts a database migrated by getpaid's earlier runner
	// (versions in the table schema_migrations) before goose runs.
	Legacy bool
}

func provider(c Config) (*goose.Provider, error) {
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	switch {
	case c.DBLocker != nil:
		opts = append(opts, goose.WithLocker(c.DBLocker))
	case c.Locker != nil:
		opts = append(opts, goose.WithSessionLocker(c.Locker))
	}
	p, err := goose.NewProvider(c.Dialect, c.DB, c.FS, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return p, nil
}

// Up applies the pending migrations and returns the versions it applied. It
// refuses, with getpaid.ErrSchemaNewer, a database that has migrations this
// binary does not know.
func Up(ctx context.Context, c Config) ([]int64, error) {
	return UpTo(ctx, c, 0)
}

// UpTo applies the pending migrations up to and including version (all of
// them when version is 0) and returns the versions it applied. Like Up, it
// refuses a database newer than this binary knows.
func UpTo(ctx context.Context, c Config, version int64) ([]int64, error) {
	if c.Legacy {
		if err := adoptLegacy(ctx, c); err != nil {
			return nil, err
		}
	}
	p, err := provider(c)
	if err != nil {
		return nil, err
	}
	if err := checkNotNewer(ctx, p); err != nil {
		return nil, err
	}
	var res []*goose.MigrationResult
	if version > 0 {
		res, err = p.UpTo(ctx, version)
	} else {
		res, err = p.Up(ctx)
	}
	var applied []int64
	for _, r := range res {
		if r.Error == nil {
			applied = append(applied, r.Source.Version)
		}
	}
	if err != nil {
		return applied, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// Check refuses a database whose schema is behind (getpaid.ErrSchemaOutdated:
// run "getpaid migrate") or ahead of (getpaid.ErrSchemaNewer: upgrade getpaid)
// the migrations this binary carries. It changes nothing.
func Check(ctx context.Context, c Config) error {
	p, err := provider(c)
	if err != nil {
		return err
	}
	// goose creates its version table when asked for a version: look
	// first, so that an empty database (a wrong search_path) stays empty.
	switch exists, err := versionTable(ctx, c); {
	case err != nil:
		return err
	case !exists:
		srcs := p.ListSources()
		return fmt.Errorf("%w: the database has no getpaid tables (version 0), this getpaid needs %d",
			getpaid.ErrSchemaOutdated, srcs[len(srcs)-1].Version)
	}
	if err := checkNotNewer(ctx, p); err != nil {
		return err
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if current < target {
		return fmt.Errorf("%w: database at version %d, this getpaid needs %d", getpaid.ErrSchemaOutdated, current, target)
	}
	return nil
}

// versionTable reports whether goose's version table exists, without
// creating it.
func versionTable(ctx context.Context, c Config) (bool, error) {
	if c.Dialect == database.DialectSQLite3 { // goose cannot tell for SQLite
		var n int
		err := c.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", goose.DefaultTablename).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("migrate: %w", err)
		}
		return n > 0, nil
	}
	st, err := database.NewStore(c.Dialect, goose.DefaultTablename)
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	ext, ok := st.(database.StoreExtender)
	if !ok {
		return true, nil // goose's own check follows
	}
	exists, err := ext.TableExists(ctx, c.DB)
	if errors.Is(err, errors.ErrUnsupported) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	return exists, nil
}

// checkNotNewer refuses a database with migrations beyond the known ones.
func checkNotNewer(ctx context.Context, p *goose.Provider) error {
	current, err := p.GetDBVersion(ctx)
	if errors.Is(err, goose.ErrVersionNotFound) || (err == nil && current == 0) {
		return nil // an empty database
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	srcs := p.ListSources()
	known := int64(0)
	if len(srcs) > 0 {
		known = srcs[len(srcs)-1].Version
	}
	if current > known {
		return fmt.Errorf("%w: database at version %d, this getpaid knows up to %d", getpaid.ErrSchemaNewer, current, known)
	}
	return nil
}

// adoptLegacy records in goose's table the versions getpaid's earlier runner
// recorded in schema_migrations, once, so goose does not apply them again.
func adoptLegacy(ctx context.Context, c Config) error {
	var n int
	err := c.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&n)
	if err != nil || n == 0 {
		return err
	}
	err = c.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'").Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	st, err := database.NewStore(c.Dialect, goose.DefaultTablename)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	tx, err := c.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: adopt earlier versions: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		return fmt.Errorf("migrate: adopt earlier versions: %w", err)
	}
	var versions []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("migrate: adopt earlier versions: %w", err)
		}
		versions = append(versions, v)
	}
	rows.Close()
	if err := st.CreateVersionTable(ctx, tx); err != nil {
		return fmt.Errorf("migrate: adopt earlier versions: %w", err)
	}
	for _, v := range append([]int64{0}, versions...) {
		if err := st.Insert(ctx, tx, database.InsertRequest{Version: v}); err != nil {
			return fmt.Errorf("migrate: adopt version %d: %w", v, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "DROP TABLE schema_migrations"); err != nil {
		return fmt.Errorf("migrate: adopt earlier versions: %w", err)
	}
	return tx.Commit()
}
