// Package migrate is a tiny schema migration runner for the SQL stores. A
// migration is a file "NNN_name.sql" in an fs.FS (usually embedded); each runs
// once, in version order, in its own transaction, and its version is recorded
// in the table schema_migrations.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one schema change.
type Migration struct {
	Version int    // from the file name's numeric prefix
	Name    string // the file name
	SQL     string
}

// Load reads the migrations in dir of fsys, sorted by version. It refuses
// files without a numeric prefix and duplicate versions.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrate: load: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		prefix, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migrate: load: %s: want a name like 001_init.sql", e.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrate: load: %s and %s share version %d", other, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migrate: load: %w", err)
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Conn is what Up needs: a single connection that can run transactions
// (*sql.Conn, or *sql.DB for databases where any connection will do).
type Conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// Up applies the migrations not yet recorded in schema_migrations, each in its
// own transaction with its version row, and returns the versions it applied.
// Version numbers are written as literals, so the SQL works in every dialect.
func Up(ctx context.Context, c Conn, migrations []Migration) ([]int, error) {
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied []int
	for _, m := range migrations {
		done, err := apply(ctx, c, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

// apply runs m unless it is recorded, reporting whether it ran.
func apply(ctx context.Context, c Conn, m Migration) (bool, error) {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: %s: begin: %w", m.Name, err)
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	q := "SELECT COUNT(*) FROM schema_migrations WHERE version = " + strconv.Itoa(m.Version)
	if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, fmt.Errorf("migrate: %s: %w", m.Name, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migrate: %s: %w", m.Name, err)
	}
	rec := fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, '%s', '%s')",
		m.Version, strings.ReplaceAll(m.Name, "'", "''"), time.Now().UTC().Format(time.RFC3339))
	if _, err := tx.ExecContext(ctx, rec); err != nil {
		return false, fmt.Errorf("migrate: %s: record version: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate: %s: commit: %w", m.Name, err)
	}
	return true, nil
}
