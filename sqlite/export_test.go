package sqlite

import (
	"context"
	"os"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"
)

// MigrateTo applies the migrations up to and including version to the
// database at path, for the conformance suite's migration cases.
func MigrateTo(ctx context.Context, path string, opts Options, version int64) ([]int64, error) {
	driver, err := sqlDriverName(opts.Driver)
	if err != nil {
		return nil, err
	}
	if path, err = realPath(path); err != nil {
		return nil, err
	}
	db, err := openWritePool(driver, path, opts)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return migrateTo(ctx, db, path, version)
}

// Cached reports whether s serves reads from its cache now.
func Cached(s *Store) bool {
	c := s.w.cache
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usable()
}

// SetRecheck sets how often s's read cache, off because another Store
// opened the file, looks again whether it is alone.
func SetRecheck(s *Store, d time.Duration) {
	c := s.w.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recheck = d
}

// SlowFlush makes every flush of s's WAL take d longer. Call it before the
// first write: the writer's hand-over orders it before the syncer's reads.
func SlowFlush(s *Store, d time.Duration) {
	s.w.sync.flush = func(f *os.File) error {
		time.Sleep(d)
		return fdatasync(f)
	}
}

// FailFlush makes the next flush of s's WAL fail with err (later ones
// would succeed). Call it before the write that should meet it.
func FailFlush(s *Store, err error) {
	var once atomic.Bool
	s.w.sync.flush = func(f *os.File) error {
		if once.CompareAndSwap(false, true) {
			return err
		}
		return fdatasync(f)
	}
}

// HoldFlush makes the next flush of s's WAL wait: held is closed when it
// begins, and it ends with the error given to release (nil: it flushes).
// Call it before the write that should meet it.
func HoldFlush(s *Store) (held <-chan struct{}, release func(error)) {
	h, done := make(chan struct{}), make(chan error, 1)
	var once atomic.Bool
	s.w.sync.flush = func(f *os.File) error {
		if !once.CompareAndSwap(false, true) {
			return fdatasync(f)
		}
		close(h)
		if err := <-done; err != nil {
			return err
		}
		return fdatasync(f)
	}
	return h, func(err error) { done <- err }
}

// Queued is how many writes wait in s's queue, not yet taken by the writer.
func Queued(s *Store) int { return len(s.w.queue) }

// BreakCommit queues a write that succeeds but makes the COMMIT of its
// batch fail (a deferred foreign key violation), and returns its outcome.
func BreakCommit(ctx context.Context, s *Store) error {
	_, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		if _, err := tx.execSQL("PRAGMA defer_foreign_keys = ON"); err != nil {
			return nil, err
		}
		_, err := tx.execSQL(`INSERT INTO operations (id, payment_id, backend, kind, state, amount, currency, created_at, updated_at)
			VALUES ('op_none', 'no such payment', 'dummy', 'refund', 'pending', 1, 'PLN', 0, 0)`)
		return nil, err
	})
	return err
}

// Checkpoint runs one checkpoint of s as its checkpointer does after a
// commit, and reports whether it ran one.
func Checkpoint(s *Store) bool { return s.w.cp.checkpoint() }

// SettleCheckpoints runs a checkpoint once the background checkpointer has
// none to run: a kick pending (the last flush's) is taken, and one begun
// is let finish. After it, the checkpointer runs again only when a later
// flush succeeds.
func SettleCheckpoints(s *Store) bool {
	select {
	case <-s.w.cp.kick:
	default:
	}
	time.Sleep(50 * time.Millisecond)
	return s.w.cp.checkpoint()
}

// BreakWAL makes the writer's WAL file fail as after a write of gathered
// frames failed (a full disk): every later write to it fails with err.
func BreakWAL(s *Store, err error) {
	_ = s.w.conn.Raw(func(dc any) error {
		f, ferr := dc.(interface{ Raw() *sqlite3.Conn }).Raw().FileControl("main", sqlite3.FCNTL_JOURNAL_POINTER)
		if ferr != nil {
			return ferr
		}
		f.(*walFile).err = err
		return nil
	})
}

// SetWALRestartSize sets the WAL size past which s's writer copies the WAL
// back itself before a batch, so the next one restarts it from the top.
func SetWALRestartSize(s *Store, n int64) { s.w.walRestart.Store(n) }
