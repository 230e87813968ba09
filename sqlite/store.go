package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
	"github.com/pressly/goose/v3/database"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configure a Store. The zero value is the safe default.
type Options struct {
	// Driver is the database/sql driver name; empty means the pure-Go
	// driver this package links (github.com/ncruces/go-sqlite3, registered
	// as "sqlite3"). Another SQLite driver may be named if the program
	// registers it (the driver comparison benchmark does).
	Driver string
	// ReadConns caps the pool of read-only connections; 0 means
	// max(4, 2*GOMAXPROCS).
	ReadConns int
	// MaxBatch caps how many writes share one transaction; 0 means 256.
	MaxBatch int
	// BusyTimeout is how long a connection waits for a lock held by another
	// process; 0 means 10s.
	BusyTimeout time.Duration
	// NoMigrate makes Open refuse a database whose schema is behind
	// (getpaid.ErrSchemaOutdated) instead of migrating it (run Migrate
	// first, e.g. "getpaid migrate"). A database whose schema is newer than
	// this package knows is always refused (getpaid.ErrSchemaNewer).
	NoMigrate bool
	// Synchronous says when a change is reported done: "FULL" (the
	// default) and "EXTRA" once it is on disk, so it survives a power loss;
	// "NORMAL" once the OS has it (it survives a process crash, but the last
	// commits may be lost on power loss or an OS crash). Under FULL the
	// writer does not wait for the disk itself: the WAL is flushed beside it
	// and each batch answered once flushed (see syncer); EXTRA is SQLite's
	// own, a flush inside every commit.
	Synchronous string
	// NoCache turns off the cache of recently written and read payments
	// that serves Payment, History, ViewPayment and the writer's own reads
	// of the payments it changes without a query. The cache is on only
	// while this Store is the one getpaid using the file (a second Store,
	// in this process or another, with NoCache or not, turns it off until
	// every other Store has closed the file: looked at every 5 s, it then
	// starts empty); set NoCache, which turns it off for good, when
	// something else writes payments to the file while getpaid runs.
	NoCache bool
	// CacheSize bounds that cache; 0 means 10,000 payments.
	CacheSize int
	// FlushInterval is, while writes come concurrently, the least time
	// between the starts of two flushes of the WAL under FULL: after a
	// flush of a batch of several writes (any store calls, a background
	// claim or a WaitDurable among them), the writer commits its next
	// batch no sooner, adding what arrives meanwhile, so that fewer commits
	// carry more writes each (see syncer). After a batch of a single write
	// the next commit is not held back. 0 means 1ms; a negative value turns
	// the spacing off. Keep it short: every write of the next batch, and
	// Close, may wait that long.
	FlushInterval time.Duration
	// OnCommit, if set, is called after each batch transaction of the
	// writer, with how many writes it carried and how long it took (from
	// BEGIN to the end of COMMIT), for metrics. It runs on the writer's
	// goroutine, or, for a batch that committed, with the WAL flushed on
	// every commit (the default), on the flushing goroutine once the
	// flush is over (before the writes are answered), so two calls may run
	// at once: it must be quick, safe for concurrent use, and must not call
	// the store.
	OnCommit func(Commit)
}

// Commit describes one batch transaction of the writer, for
// Options.OnCommit.
type Commit struct {
	Writes   int           // store writes (payment changes, claims, ...) in the transaction
	Duration time.Duration // from BEGIN to the end of COMMIT (or of the rollback), less the wait for the previous batch's flush
	Err      error         // why the batch failed (rolled back, or its flush to disk failed: its writes were answered unavailable); nil when it committed
}

// Store is a getpaid.Store on one SQLite database file. It is safe for
// concurrent use. Close it to stop the writer and release the connections.
type Store struct {
	read  *sql.DB // read-only pool
	write *sql.DB // exactly one connection, owned by w
	rs    *readStmts
	w     *writer
	solo  *solo // this Store registered on the file (nil off Linux)
	watch *watch

	keepWAL sync.Once // Close: after the disk failed the store, once (see Close)

	heldSwept sync.Map // ClaimDeliveries: consumer -> when it last freed its held deliveries nothing holds back (unix nanos)

	driver   string // for readiness probes
	probeDSN string
}

var (
	_ getpaid.Store       = (*Store)(nil)
	_ getpaid.StaleLister = (*Store)(nil)
)

// ErrNotDatabase is in the error Open and Migrate return for a path naming
// a file that is not a SQLite database (with getpaid.ErrInvalidRequest): a
// program choosing the path for its user (as the demo does with its --data
// folder) can give its own advice.
var ErrNotDatabase = errors.New("not a SQLite database")

// schemaCheck refuses, without changing anything, a database on db whose
// schema is not the one this package's migrations make.
func schemaCheck(ctx context.Context, db *sql.DB) error {
	return migrate.Check(ctx, migrate.Config{Dialect: database.DialectSQLite3, DB: db, FS: migrations()})
}

// migrations are the embedded schema changes, at the root of the FS.
func migrations() fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // the embedded directory is there by construction
	}
	return sub
}

// schema applies (or, with check, only checks) the migrations on db, the
// write pool, under the file lock that keeps two processes from migrating
// the same file at once.
func schema(ctx context.Context, db *sql.DB, path string, check bool) ([]int64, error) {
	if check {
		return nil, migrate.Check(ctx, migrateConfig(db, path))
	}
	return migrateTo(ctx, db, path, 0)
}

// migrateTo applies the migrations up to version (all of them when 0).
func migrateTo(ctx context.Context, db *sql.DB, path string, version int64) ([]int64, error) {
	return migrate.UpTo(ctx, migrateConfig(db, path), version)
}

func migrateConfig(db *sql.DB, path string) migrate.Config {
	return migrate.Config{Dialect: database.DialectSQLite3, DB: db, FS: migrations(), Locker: newFileLocker(path), Legacy: true}
}

// Open opens (creating if needed) the database at path, applies pending
// migrations unless opts.NoMigrate, and starts the writer. path names a
// file ("shop.db", "/var/lib/shop/getpaid.db"); an empty path, a directory,
// ":memory:" or a "file:" URI is refused with getpaid.ErrInvalidRequest
// (for a store in memory, use memory.New).
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	s, err := open(ctx, path, opts)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, spaceNote(path, err, freeSpace))
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
	if path, err = realPath(path); err != nil {
		return nil, err
	}
	write, err := openWritePool(driver, path, opts)
	if err != nil {
		return nil, err
	}
	if err := connectFirst(ctx, write, path); err != nil {
		_ = write.Close()
		return nil, err
	}
	if _, err := schema(ctx, write, path, opts.NoMigrate); err != nil {
		_ = write.Close()
		return nil, err
	}
	conn, err := write.Conn(ctx)
	if err != nil {
		_ = write.Close()
		return nil, unavailable(err)
	}
	defer func() {
		if err != nil {
			_ = conn.Close()
			_ = write.Close()
		}
	}()
	var sync *syncer
	if mode, _ := syncMode(opts.Synchronous); mode == "FULL" {
		// Durable commits without the writer waiting for the disk: see
		// syncer.
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=NORMAL"); err != nil {
			return nil, unavailable(err)
		}
		gap := opts.FlushInterval
		if gap == 0 {
			gap = time.Millisecond
		}
		if sync, err = newSyncer(path+"-wal", gap); err != nil {
			return nil, err
		}
	}
	// Checkpoints run beside the writer, not inside its commits. The
	// writer keeps up to 32 MiB of pages (SQLite's default is 2 MiB): with
	// the default, once the indexes outgrew it, about a tenth of the
	// server's CPU under load went to reading back pages the writer had
	// just evicted. (Set here, on the writer alone, not in the DSN, where
	// every connection ran it at open, reading the schema: one CI run's
	// concurrent opens of a file being migrated failed there, "database is
	// locked".) Its statement journals (SQLite keeps one to undo a
	// statement alone, for instance one firing a trigger) stay in memory:
	// past 64 KiB SQLite spilled one to a temporary file, created, written
	// and deleted for that statement.
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit="+strconv.Itoa(walSizeLimit)); err != nil {
		if sync != nil {
			sync.close()
		}
		return nil, unavailable(err)
	}
	// The checkpointer and the read pool connect later, when they first
	// need to, and again after a bad connection: never creating the file
	// (mode=rw). While the file is away (renamed, a volume gone for a
	// moment) SQLite would otherwise create an empty database at its path
	// and take the WAL for its own: copy its frames into that file, and
	// delete it when that connection closed, being the last one on that
	// file (TestFileAwayCreatesNoOtherFile).
	cp, err := newCheckpointer(driver, dsn(path, opts, false)+"&mode=rw", 200*time.Millisecond,
		func() bool { return sync != nil && sync.failure() != nil })
	if err != nil {
		if sync != nil {
			sync.close()
		}
		return nil, err
	}
	if sync != nil {
		// A checkpoint is kicked by a flush, not a commit. That does not
		// keep unflushed frames out of the database file: the writer
		// commits the next batch once the flush (and its spacing) is
		// over, and the checkpoint (up to an interval later) copies every
		// frame committed when it runs. What makes the copy safe is SQLite's
		// own sync of the WAL before it copies (the checkpointer's
		// connection runs synchronous=FULL; a write error the syncer
		// meets, Linux reports to that sync too, as to every descriptor
		// open on the file). A test's flush made to fail fails the syncer
		// alone: it must not leave a checkpoint kicked behind it
		// (SettleCheckpoints).
		sync.flushed = cp.committed
	}
	w, err := newWriter(ctx, conn, opts.MaxBatch, opts.OnCommit, sync)
	if err != nil {
		if sync != nil {
			sync.close()
		}
		_ = cp.close()
		return nil, err
	}
	w.cp = cp
	w.walPath = path + "-wal"
	w.walRestart.Store(walRestartSize)
	// Every Store registers on the file, NoCache or not: a Store with a
	// cache beside one without it must turn its cache off, or its writer
	// would start a change from a payment the other one has changed since.
	so, err := newSolo(path)
	if err != nil {
		w.close()
		return nil, err
	}
	if !opts.NoCache {
		size := opts.CacheSize
		if size <= 0 {
			size = 10_000
		}
		w.cache = newCache(size, so)
	}
	read, err := sql.Open(driver, dsn(path, opts, true)+"&mode=rw")
	if err != nil {
		w.close()
		if so != nil {
			_ = so.close()
		}
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
		if so != nil {
			_ = so.close()
		}
		return nil, err
	}
	wt, err := newWatch(path, conn, sync)
	if err != nil {
		w.close()
		_ = rs.close()
		_ = read.Close()
		if so != nil {
			_ = so.close()
		}
		return nil, err
	}
	st := &Store{read: read, write: write, rs: rs, w: w, solo: so, watch: wt, driver: driver, probeDSN: dsn(path, opts, true) + "&mode=rw"}
	if so != nil && so.alone() {
		if err := st.dropDeadLeases(ctx); err != nil {
			_ = st.Close()
			return nil, err
		}
	}
	return st, nil
}

// dropDeadLeases gives back every delivery lease in the file, for a Store
// alone on it: no other process has it open, so whoever holds one died
// (SIGKILLed between the commit that leased its deliveries and their
// attempt, or in the middle of one). Their deliveries are due again at once
// rather than when the leases run out.
func (s *Store) dropDeadLeases(ctx context.Context) error {
	var one int
	switch err := s.queryRow(ctx, "SELECT 1 FROM deliveries WHERE state = 'pending' AND lease_owner <> '' LIMIT 1").Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return nil // none: no write (and no commit) at every open
	case err != nil:
		return fmt.Errorf("sqlite: look for the leases of processes gone: %w", err)
	}
	_, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		// Still alone, now that this Store holds the write lock: a process
		// that opened the file since may hold leases (or take some once
		// this commits, which this leaves alone).
		if !s.solo.alone() {
			return nil, nil
		}
		return tx.execSQL("UPDATE deliveries SET lease_owner = '', lease_until = 0 WHERE state = 'pending' AND lease_owner <> ''")
	})
	if err != nil {
		return fmt.Errorf("sqlite: give back the leases of processes gone: %w", err)
	}
	return nil
}

// Migrate applies the pending migrations to the database at path, creating it
// if needed, and returns the versions it applied (none when it is up to
// date). It is what "getpaid migrate" runs; Open does the same unless
// Options.NoMigrate. A database newer than this package knows is refused
// with getpaid.ErrSchemaNewer.
func Migrate(ctx context.Context, path string, opts Options) ([]int64, error) {
	driver, err := sqlDriverName(opts.Driver)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	if path, err = realPath(path); err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	db, err := openWritePool(driver, path, opts)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	defer db.Close()
	if err := connectFirst(ctx, db, path); err != nil {
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, spaceNote(path, err, freeSpace))
	}
	applied, err := schema(ctx, db, path, false)
	if err != nil {
		return applied, fmt.Errorf("sqlite: migrate %s: %w", path, spaceNote(path, err, freeSpace))
	}
	return applied, nil
}

// realPath is the name SQLite gives the database file at path: absolute,
// with symbolic links followed (those of its directory only, while the file
// does not exist). The files beside it that the Store names itself must be
// named after it as SQLite names its own: the WAL the syncer flushes (by
// another name it would be another file, or none), the marker every Store
// registers on (two Stores on one database under two names would each think
// they are alone, and start changes from their caches) and the migration
// lock.
//
// It refuses what names no database file, saying what to give instead:
// SQLite's own ":memory:" and "file:" URIs would otherwise become files of
// those names in the working directory (the DSN is built here, from a
// path), and an empty path or a directory would fail to open as "store
// unavailable", an error that says to try again.
func realPath(path string) (string, error) {
	switch {
	case path == "":
		return "", fmt.Errorf("%w: a database file path is required (getpaid.db, /var/lib/getpaid/getpaid.db)", getpaid.ErrInvalidRequest)
	case path == ":memory:":
		return "", fmt.Errorf("%w: %q: this store keeps a file; for a store in memory (tests, examples) use memory.New", getpaid.ErrInvalidRequest, path)
	case strings.HasPrefix(path, "file:"):
		return "", fmt.Errorf("%w: %q: want a file path, not a URI (the connection's settings are the store's own: see Options)", getpaid.ErrInvalidRequest, path)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return "", fmt.Errorf("%w: %s is a directory: name a database file in it (%s)", getpaid.ErrInvalidRequest, path, filepath.Join(path, "getpaid.db"))
	}
	dir, file := path, ""
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		dir, file = filepath.Split(path)
		if dir == "" {
			dir = "."
		}
	}
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("sqlite: resolve %s: %w", path, err)
	}
	return filepath.Abs(filepath.Join(dir, file))
}

// connectFirst makes the write pool's connection under the migration lock.
// Its settings switch a new file to WAL, which needs the file to itself:
// while another process was creating the same file, SQLite answered
// "database is locked" at once, without waiting out the busy timeout (three
// servers started together on a new file: one or two failed to start). Under
// the lock the switch is made once; on a file in WAL already the setting
// only reads it.
func connectFirst(ctx context.Context, db *sql.DB, path string) error {
	lk := newFileLocker(path)
	if err := lk.SessionLock(ctx, nil); err != nil {
		return err
	}
	err := db.PingContext(ctx)
	if uerr := lk.SessionUnlock(ctx, nil); err == nil && uerr != nil {
		err = fmt.Errorf("sqlite: migration lock: %w", uerr)
	}
	if errors.Is(err, sqlite3.NOTADB) {
		// Another file (a config naming the wrong one): no retry helps.
		return fmt.Errorf("%w: %s is %w: name the database file (a new path makes a new one), or move this file away", getpaid.ErrInvalidRequest, path, ErrNotDatabase)
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// openWritePool opens the single-connection write pool.
func openWritePool(driver, path string, opts Options) (*sql.DB, error) {
	name := dsn(path, opts, false)
	var db *sql.DB
	var err error
	if driver == DefaultDriver {
		// The writer gathers its WAL writes: see walFile.
		registerWALVFS()
		db, err = sqlite3driver.Open(name+"&vfs="+walVFSName, dropOnRollback)
	} else {
		db, err = sql.Open(driver, name)
	}
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return db, nil
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

// noCheckpointOnClose tells the connection of db, a pool of one, not to
// checkpoint the WAL when it closes (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE).
// Only the default driver exposes the setting; with another the WAL is
// checkpointed as SQLite does.
func noCheckpointOnClose(db *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: keep the WAL: %w", err)
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		r, ok := dc.(interface{ Raw() *sqlite3.Conn })
		if !ok {
			return nil
		}
		if _, err := r.Raw().Config(sqlite3.DBCONFIG_NO_CKPT_ON_CLOSE, true); err != nil {
			return fmt.Errorf("sqlite: keep the WAL: %w", err)
		}
		return nil
	})
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
	s.watch.close()
	s.w.close()
	var err error
	s.keepWAL.Do(func() {
		if (s.w.sync == nil || s.w.sync.failure() == nil) && s.w.cp.failure() == nil {
			return
		}
		// The writer's connection closes last (the write pool keeps it),
		// and SQLite checkpoints the WAL when the last connection to the
		// file closes: after a failed flush that would copy frames the
		// kernel may have lost into the database file, unchecked (after
		// a checkpoint that failed on the disk too: see checkpointer).
		// The WAL stays for recovery at the next open instead, which
		// keeps only frames whose checksums hold.
		err = noCheckpointOnClose(s.write)
	})
	err = errors.Join(err, s.rs.close(), s.read.Close(), s.write.Close())
	if s.solo != nil {
		err = errors.Join(err, s.solo.close())
	}
	if err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}
