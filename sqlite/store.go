package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configure a Store. The zero value is the safe default.
type Options struct {
	// Driver is DriverModernc or DriverNcruces; empty means DefaultDriver.
	Driver string
	// ReadConns caps the pool of read-only connections; 0 means
	// max(4, 2*GOMAXPROCS).
	ReadConns int
	// MaxBatch caps how many writes share one transaction; 0 means 256.
	MaxBatch int
	// BusyTimeout is how long a connection waits for a lock held by another
	// process; 0 means 10s.
	BusyTimeout time.Duration
	// NoMigrate makes Open refuse a database whose schema is behind instead
	// of migrating it (run Migrate first, e.g. "getpaid migrate").
	NoMigrate bool
	// Synchronous is SQLite's synchronous setting: "FULL" (the default) or
	// "EXTRA", under which a change reported done survives a power loss, or
	// "NORMAL" (in WAL mode: a change reported done survives a process crash,
	// but the last commits may be lost on power loss or an OS crash; commits
	// no longer wait for fsync, about 15% more lifecycles/s on the 2-core
	// benchmark machine).
	Synchronous string
	// CacheSize bounds the in-memory cache of recently written payments and
	// their history that serves Payment and History without a query; 0
	// means 4096 payments.
	CacheSize int
	// NoCache turns that cache off. The cache assumes this Store is the only
	// writer of payments in the file; turn it off if another process writes
	// payments to the same file (two servers on one SQLite file).
	NoCache bool
}

// Store is a getpaid.Store on one SQLite database file. It is safe for
// concurrent use. Close it to stop the writer and release the connections.
type Store struct {
	read  *sql.DB // read-only pool
	write *sql.DB // exactly one connection, owned by w
	rs    *readStmts
	w     *writer
}

var (
	_ getpaid.Store       = (*Store)(nil)
	_ getpaid.StaleLister = (*Store)(nil)
)

// Open opens (creating if needed) the database at path, applies pending
// migrations unless opts.NoMigrate, and starts the writer.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	s, err := open(ctx, path, opts)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

func open(ctx context.Context, path string, opts Options) (_ *Store, err error) {
	driver, err := sqlDriverName(opts.Driver)
	if err != nil {
		return nil, err
	}
	if _, err := syncMode(opts.Synchronous); err != nil {
		return nil, err
	}
	write, conn, err := openWriteConn(ctx, driver, path, opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = conn.Close()
			_ = write.Close()
		}
	}()
	migrations, err := migrate.Load(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	if opts.NoMigrate {
		if err := checkSchema(ctx, conn, migrations); err != nil {
			return nil, err
		}
	} else if _, err := migrate.Up(ctx, conn, migrations); err != nil {
		return nil, err
	}
	w, err := newWriter(ctx, conn, opts.MaxBatch)
	if err != nil {
		return nil, err
	}
	if !opts.NoCache {
		size := opts.CacheSize
		if size <= 0 {
			size = 4096
		}
		w.cache = newCache(size)
	}
	read, err := sql.Open(driver, dsn(path, opts, true))
	if err != nil {
		w.close()
		return nil, err
	}
	n := opts.ReadConns
	if n <= 0 {
		n = max(4, 2*runtime.GOMAXPROCS(0))
	}
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(0)
	rs, err := prepareReads(ctx, read)
	if err != nil {
		w.close()
		_ = read.Close()
		return nil, err
	}
	return &Store{read: read, write: write, rs: rs, w: w}, nil
}

// Migrate applies the pending migrations to the database at path, creating it
// if needed, and returns the versions it applied. It is what a "getpaid
// migrate" command runs; Open does the same unless Options.NoMigrate.
func Migrate(ctx context.Context, path string, opts Options) ([]int, error) {
	driver, err := sqlDriverName(opts.Driver)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	db, conn, err := openWriteConn(ctx, driver, path, opts)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	defer db.Close()
	defer conn.Close()
	migrations, err := migrate.Load(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	applied, err := migrate.Up(ctx, conn, migrations)
	if err != nil {
		return applied, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	return applied, nil
}

// ErrSchemaOutdated is returned by Open with Options.NoMigrate when the
// database lacks migrations this version of the package needs.
var ErrSchemaOutdated = errors.New("database schema is outdated; run migrations")

// checkSchema fails with ErrSchemaOutdated unless every migration is applied.
func checkSchema(ctx context.Context, conn *sql.Conn, migrations []migrate.Migration) error {
	var n int
	err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n)
	if err != nil || n < len(migrations) {
		return fmt.Errorf("%w (%d of %d applied)", ErrSchemaOutdated, n, len(migrations))
	}
	return nil
}

// openWriteConn opens the single-connection write pool and takes its conn.
func openWriteConn(ctx context.Context, driver, path string, opts Options) (*sql.DB, *sql.Conn, error) {
	db, err := sql.Open(driver, dsn(path, opts, false))
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return db, conn, nil
}

// dsn builds the data source name for path. Every connection gets its
// settings from it: the busy timeout, WAL, synchronous=FULL by default (a commit is
// fsynced before it returns), foreign keys and immediate transactions; read
// connections are also query_only.
func dsn(path string, opts Options, readOnly bool) string {
	mode, err := syncMode(opts.Synchronous)
	if err != nil {
		mode = "FULL" // Open refuses a bad mode before it gets here
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	params := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busy.Milliseconds()),
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(" + mode + ")",
		"_pragma=foreign_keys(1)",
		"_txlock=immediate",
	}
	if readOnly {
		params = append(params, "_pragma=query_only(1)")
	}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + strings.Join(params, "&")
}

// syncMode validates Options.Synchronous.
func syncMode(s string) (string, error) {
	switch m := strings.ToUpper(s); m {
	case "":
		return "FULL", nil
	case "FULL", "EXTRA", "NORMAL":
		return m, nil
	}
	return "", fmt.Errorf("sqlite: synchronous %q: want FULL, EXTRA or NORMAL", s)
}

// Close stops the writer after the queued writes are done and closes every
// connection.
func (s *Store) Close() error {
	s.w.close()
	err := errors.Join(s.rs.close(), s.read.Close(), s.write.Close())
	if err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}
