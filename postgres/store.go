package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configure a Store. The zero value is the safe default.
type Options struct {
	// MaxConns caps the connection pool; 0 means the DSN's pool_max_conns,
	// else max(8, 4*GOMAXPROCS).
	MaxConns int32
	// NoMigrate makes Open refuse a database whose schema is behind
	// (getpaid.ErrSchemaOutdated) instead of migrating it: run Migrate
	// first ("getpaid migrate"). A database whose schema is newer than this
	// package knows is always refused (getpaid.ErrSchemaNewer).
	NoMigrate bool
	// AcquireTimeout is how long an operation waits for a connection of the
	// pool (all busy, or the database not answering) before it gives up
	// with getpaid.ErrUnavailable; 0 means 5s.
	AcquireTimeout time.Duration
	// Timeout bounds one store operation, its retries included, even when
	// the caller's context has no deadline (the engine records what a broker
	// did with a context that is never cancelled); 0 means 15s.
	Timeout time.Duration
}

// Store is a getpaid.Store on a PostgreSQL database, shared safely by any
// number of handles and processes. It is safe for concurrent use. Close it
// to release its connections.
type Store struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration
	timeout        time.Duration
	limitIdle      string // the statement bounding a transaction's idle time; "" when the DSN does

	sweepMu  sync.Mutex
	swept    map[string]time.Time // consumer: when its held deliveries were last swept (see sweepDue)
	sweepFor time.Duration        // how long a sweep may run (sweepTimeout; tests shorten it)
}

var (
	_ getpaid.Store         = (*Store)(nil)
	_ getpaid.StaleLister   = (*Store)(nil)
	_ getpaid.PaymentViewer = (*Store)(nil)
)

// migrations are the embedded schema changes, at the root of the FS.
func migrations() fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // the embedded directory is there by construction
	}
	return sub
}

// Open connects to the database dsn names (a postgres:// URL or a
// "key=value" string, as pgx parses it; search_path selects a schema),
// applies pending migrations unless opts.NoMigrate, and returns the Store.
// Connections are made as needed; a database that goes away and comes back
// is reconnected to by the pool.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	s, err := open(ctx, dsn, opts)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

func open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := poolConfig(dsn, opts)
	if err != nil {
		return nil, err
	}
	if _, err := schema(ctx, cfg, !opts.NoMigrate, 0); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, unavailable(err)
	}
	s := &Store{pool: pool, acquireTimeout: opts.AcquireTimeout, timeout: opts.Timeout, sweepFor: sweepTimeout}
	if _, set := cfg.ConnConfig.RuntimeParams[idleInTx]; !set {
		s.limitIdle = "SET LOCAL " + idleInTx + " = '" + idleInTxTimeout + "'"
	}
	if s.acquireTimeout <= 0 {
		s.acquireTimeout = 5 * time.Second
	}
	if s.timeout <= 0 {
		s.timeout = 15 * time.Second
	}
	return s, nil
}

// Migrate applies the pending migrations to the database dsn names and
// returns the versions it applied (none when it is up to date). It is what
// "getpaid migrate" runs; Open does the same unless Options.NoMigrate.
// Processes migrating at once take turns under a PostgreSQL advisory lock.
// A database newer than this package knows is refused with
// getpaid.ErrSchemaNewer.
func Migrate(ctx context.Context, dsn string) ([]int64, error) {
	return migrateTo(ctx, dsn, 0)
}

// migrateTo applies the migrations up to version (all of them when 0).
func migrateTo(ctx context.Context, dsn string, version int64) ([]int64, error) {
	cfg, err := poolConfig(dsn, Options{})
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	applied, err := schema(ctx, cfg, true, version)
	if err != nil {
		return applied, fmt.Errorf("postgres: migrate: %w", err)
	}
	return applied, nil
}

// poolConfig parses dsn and applies opts.
func poolConfig(dsn string, opts Options) (*pgxpool.Config, error) {
	// pgx, as libpq, ends the user and password at the first @ and reads
	// the rest as the host, which it quotes when it fails to resolve it:
	// part of the password in the error and the logs.
	if atInHostPart(dsn) {
		return nil, &configError{"the DSN does not parse: an @ in the user name or password must be written %40 " +
			"(a / %2F, a % %25) (want postgres://user:password@host:port/database)"}
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		why := ""
		if r := dsnReason(err); r != "" {
			why = ": " + r
		}
		return nil, &configError{"the DSN does not parse" + why + " (want postgres://user:password@host:port/database)"}
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !setsPoolMaxConns(dsn):
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = appName(cfg.ConnConfig.RuntimeParams["application_name"])
	return cfg, nil
}

// atInHostPart reports whether dsn, when it is a URL, holds an @ where
// pgx would not take it for the end of the user and password: in the
// hosts and ports after that one, or, when a / comes before any @ (a / in
// the password), before its parameters.
func atInHostPart(dsn string) bool {
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		rest, ok := strings.CutPrefix(dsn, scheme)
		if !ok {
			continue
		}
		end := "?"
		if i := strings.IndexAny(rest, "@/"); i >= 0 && rest[i] == '@' {
			rest, end = rest[i+1:], "/?"
		}
		if i := strings.IndexAny(rest, end); i >= 0 {
			rest = rest[:i]
		}
		return strings.Contains(rest, "@")
	}
	return false
}

// schema applies the migrations (up to version, all when 0) with migrate
// set, or only checks that the database is neither behind nor ahead, on a
// database/sql handle of cfg's connection (goose needs one), under an
// advisory lock of the database and schema.
func schema(ctx context.Context, cfg *pgxpool.Config, apply bool, version int64) ([]int64, error) {
	db := stdlib.OpenDB(*cfg.ConnConfig.Copy())
	defer db.Close()
	db.SetMaxOpenConns(3) // goose's, the lock's, and one to spare
	locker, err := migrationLocker(ctx, db)
	if cerr := refusedBy(err, cfg.ConnConfig.Database, cfg.ConnConfig.User); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, err
	}
	c := migrate.Config{Dialect: database.DialectPostgres, DB: db, FS: migrations(), DBLocker: locker}
	if !apply {
		if err := migrate.Check(ctx, c); err != nil {
			return nil, unavailable(err)
		}
		return nil, nil
	}
	applied, err := migrate.UpTo(ctx, c, version)
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "42501":
		return applied, noPrivilege(ctx, db, pe)
	case errors.As(err, &pe) && pe.Code == "55P03":
		return applied, fmt.Errorf("%w: another session's transaction holds a table this migration changes "+
			"(waited %s: a backup with pg_dump, a report, a psql session left open), and the running servers' "+
			"statements on it would queue behind the migration: it gave up, nothing of that step was applied; "+
			"run getpaid migrate again once that transaction ends: %w", getpaid.ErrUnavailable, migrationLockWait, err)
	}
	return applied, unavailable(err)
}

// migrationLockWait is how long a migration waits for a table lock (each
// migration file begins with SET LOCAL lock_timeout, a test checks): while
// it waits, PostgreSQL queues every other statement on that table behind
// it, so a migration stuck behind a long transaction would stop the
// running servers' reads and writes for as long as that transaction lasts.
const migrationLockWait = 5 * time.Second

// noPrivilege is the error of a migration the role may not make (SQLSTATE
// 42501, insufficient_privilege; PostgreSQL 15 lets no role but the
// database's owner create in public): what to grant, or what else to do.
func noPrivilege(ctx context.Context, db *sql.DB, pe *pgconn.PgError) error {
	role, schema := "<role>", "<schema>"
	var r, s sql.NullString
	if db.QueryRowContext(ctx, "SELECT current_user, current_schema()").Scan(&r, &s) == nil {
		if r.Valid {
			role = pgx.Identifier{r.String}.Sanitize()
		}
		if s.Valid {
			schema = pgx.Identifier{s.String}.Sanitize()
		}
	}
	return &configError{fmt.Sprintf("the role %s may not create the tables getpaid needs in schema %s (%s): "+
		"GRANT CREATE ON SCHEMA %s TO %s, or give the role a schema of its own (CREATE SCHEMA getpaid AUTHORIZATION %s, "+
		"and search_path=getpaid in the DSN), or run getpaid migrate as the schema's owner",
		role, schema, pe.Message, schema, role, role)}
}

// migrationLocker is a transaction-level advisory lock (txLocker) with a
// lock id of this database and schema (processes migrating other schemas do
// not wait), polled every second for up to five minutes. The id is the one
// the session-level lock of earlier getpaids took: PostgreSQL's advisory
// locks of both levels exclude each other.
func migrationLocker(ctx context.Context, db *sql.DB) (lock.Locker, error) {
	var dbName, schemaName, searchPath sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_database(), current_schema(), current_setting('search_path')").Scan(&dbName, &schemaName, &searchPath); err != nil {
		return nil, unavailable(err)
	}
	if !schemaName.Valid {
		return nil, noSchema(dbName.String, searchPath.String)
	}
	h := fnv.New64a()
	h.Write([]byte("getpaid migrations\x00" + dbName.String + "\x00" + schemaName.String))
	return &txLocker{id: int64(h.Sum64()), every: time.Second, tries: 300}, nil
}

// configError is a mistake in the store's configuration (the DSN, the
// database it names), said in words for the operator who starts the
// server: getpaid.ErrInvalidRequest to errors.Is, without that sentinel's
// "invalid request" (the JSON API's words) in the message.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return getpaid.ErrInvalidRequest }

// refusedBy is the error of a connection the server refused for the
// DSN's own settings (no such database, a wrong password, a user it does
// not let in), said with what to do, or nil for any other err: no retry
// helps those, so they are configuration errors, not the database away.
func refusedBy(err error, database, user string) error {
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) {
		return nil
	}
	switch pe.Code {
	case "3D000": // invalid_catalog_name
		return &configError{fmt.Sprintf("%s: create it (CREATE DATABASE %s OWNER %s), or fix the database in the DSN",
			pe.Message, pgx.Identifier{database}.Sanitize(), pgx.Identifier{user}.Sanitize())}
	case "28P01": // invalid_password
		return &configError{fmt.Sprintf("PostgreSQL refused the password of user %q (%s): check the DSN's user and password "+
			"(an @, /, %% or space in them is written %%40, %%2F, %%25, %%20)", user, pe.Message)}
	case "28000": // invalid_authorization_specification: no such role, or pg_hba.conf
		return &configError{fmt.Sprintf("PostgreSQL refused user %q (%s): check the DSN's user, and that pg_hba.conf lets it connect from here",
			user, pe.Message)}
	}
	return nil
}

// noSchema is the error of a search_path (as PostgreSQL shows it) naming
// no schema that exists in database db: what to create, or to fix.
func noSchema(db, searchPath string) error {
	create := "create one of them (CREATE SCHEMA <name>)"
	if names := strings.Split(searchPath, ","); len(names) == 1 {
		if name := strings.TrimSpace(names[0]); name != "" && name != `"$user"` {
			create = "create it (CREATE SCHEMA " + name + ")"
		}
	}
	return &configError{fmt.Sprintf("no schema of the search_path (%s) exists in database %s: %s or fix search_path in the DSN",
		searchPath, db, create)}
}

// begin queues the start of a transaction of more than one round trip on
// b and returns the number of results it adds. A transaction of the store
// waits for nothing but this process between its round trips; one left
// idle holds its locks for as long as the process is frozen or cut off
// (its connection is not closed, so the database never rolls it back by
// itself), and every other process's change of that payment would wait,
// then fail. The database ends such a session instead (SET LOCAL: for this
// transaction only, so that it also works behind a transaction-mode
// pooler, which refuses startup parameters); the process, if it runs
// again, tries its change again on a new connection.
//
// The transaction is read committed whatever the database's or role's
// default_transaction_isolation: its row locks (SELECT ... FOR UPDATE)
// are what serialise changes of a payment, and under serializable or
// repeatable read a change that waited for the lock fails instead
// ("could not serialize access due to concurrent update").
func (s *Store) begin(b *pgx.Batch) int {
	b.Queue("BEGIN ISOLATION LEVEL READ COMMITTED")
	if s.limitIdle == "" {
		return 1
	}
	b.Queue(s.limitIdle)
	return 2
}

// Close releases every connection; operations after it fail with
// getpaid.ErrUnavailable.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// errSchemaErrors are the errors of schema that are not about the database
// being reachable.
func isSchemaError(err error) bool {
	return errors.Is(err, getpaid.ErrSchemaNewer) || errors.Is(err, getpaid.ErrSchemaOutdated) ||
		errors.Is(err, getpaid.ErrInvalidRequest)
}

// idleInTx is PostgreSQL's setting ending a session left idle inside a
// transaction, and idleInTxTimeout its value for the store's transactions
// of two round trips (unless the DSN sets it): far above the gap between
// the two, below the Timeout another process's change of the same payment
// waits.
const (
	idleInTx        = "idle_in_transaction_session_timeout"
	idleInTxTimeout = "5s"
)

// setsPoolMaxConns reports whether dsn (URL or key=value form) sets
// pool_max_conns, as pgx reads it: pgconn keeps a parameter it does not
// know among the runtime parameters (pgxpool takes it out of its own
// copy), whether written "pool_max_conns = 4" in a key=value DSN, and never
// for the words inside another value (a password).
func setsPoolMaxConns(dsn string) bool {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return false // pgxpool.ParseConfig refused it already
	}
	_, set := cfg.RuntimeParams["pool_max_conns"]
	return set
}

// appName is the application_name the connections report (shown in
// pg_stat_activity): the DSN's, else "getpaid".
func appName(fromDSN string) string {
	if fromDSN != "" {
		return fromDSN
	}
	return "getpaid"
}

// dsnReason is what pgx says is wrong with a DSN, without the DSN: its
// message quotes the DSN (with the password redacted only as far as pgx can
// find it in a string that does not parse), and the error it wraps may
// quote it whole (a URL that does not parse), so only pgx's own words are
// kept, and the wrapped error only when it quotes no URL, or is one of
// pgx's words about a password it does not quote (see pgxPasswordWords).
func dsnReason(err error) string {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return ""
	}
	msg, inner := pe.Error(), ""
	if u := pe.Unwrap(); u != nil {
		inner = u.Error()
		msg = strings.TrimSuffix(msg, " ("+inner+")")
	}
	i := strings.LastIndex(msg, "`: ")
	if i < 0 {
		return ""
	}
	msg = msg[i+len("`: "):]
	if inner != "" && (pgxPasswordWords(inner) ||
		!strings.Contains(inner, "://") && !strings.Contains(inner, "@") && !strings.Contains(inner, "password")) {
		msg += ": " + inner
	}
	return msg
}

// pgxPasswordWords reports whether inner is one of the words pgx says of a
// URL's password that does not decode, which name the password without
// quoting it (and say what to do: write a space %20).
func pgxPasswordWords(inner string) bool {
	switch inner {
	case "invalid percent-encoded token in password",
		"forbidden value %00 in percent-encoded value in password",
		"unexpected spaces found in password, use percent-encoded spaces (%20) instead":
		return true
	}
	return false
}
