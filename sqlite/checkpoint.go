package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"
)

// checkpointer copies the WAL back into the database file on a connection
// of its own, so the writer never runs a checkpoint inside a commit (SQLite's
// automatic checkpoint would, about once every thousand pages, making that
// commit's writes wait). The writer's connection has wal_autocheckpoint off;
// after commits (once the syncer has flushed them, where there is one), the
// checkpointer runs a PASSIVE checkpoint (it never blocks the writer or
// readers) at most every interval. SQLite restarts the WAL from
// its beginning when a write transaction begins with all of it copied; under
// a stream of writes that needs the writer's help (walrestart.go).
//
// After a failed flush of the WAL it runs no more checkpoints: the kernel may
// have dropped the pages it could not write, and a checkpoint copies frames
// into the database file without checking them (WAL recovery, at the next
// open, checks their checksums and keeps only a valid prefix). Nor after a
// checkpoint of its own failed on the disk (an I/O error). When its flush of
// the WAL failed, that is the same failure, but the kernel reports it once
// per open file: the syncer meets it only at its next flush, and a
// checkpoint run again before that would flush without error and copy
// frames the kernel may have dropped. When its flush of the database file
// failed, SQLite has not counted the frames as copied, and a checkpoint run
// again would copy them all again; but the disk is failing, and the WAL is
// the copy that recovery checks. Either way the WAL keeps the frames for the
// next open's recovery, and the store reports unready until then.
type checkpointer struct {
	db       *sql.DB
	interval time.Duration
	halted   func() bool           // a flush failed: checkpoint no more
	failed   atomic.Pointer[error] // a checkpoint failed on the disk, for good
	kick     chan struct{}
	quit     chan struct{}
	done     chan struct{}
}

// newCheckpointer starts a checkpointer on its own connection to the file
// (dsn as the writer's).
func newCheckpointer(driver, dsn string, interval time.Duration, halted func() bool) (*checkpointer, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, interval: interval, halted: halted, kick: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

// committed tells the checkpointer that the WAL grew; it never blocks.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.quit:
			return
		case <-c.kick:
		}
		c.checkpoint()
		select {
		case <-c.quit:
			return
		case <-time.After(c.interval):
		}
	}
}

// checkpoint runs one PASSIVE checkpoint, unless a flush failed; it reports
// whether it ran one.
func (c *checkpointer) checkpoint() bool {
	if c.halted() || c.failure() != nil {
		return false
	}
	// A checkpoint that failed otherwise (the database busy: a migration
	// of another process) is retried at the next commit; the WAL only
	// grows meanwhile, as it would while a reader held it.
	_, err := c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
	if errors.Is(err, sqlite3.IOERR) {
		c.stop(unavailable(fmt.Errorf("sqlite: checkpoint: %w; no more checkpoints until the database is opened again", err)))
	}
	return true
}

// stop stops checkpoints for good after a checkpoint failed on the disk
// (this one's, or the writer's: see restartWAL).
func (c *checkpointer) stop(err error) { c.failed.CompareAndSwap(nil, &err) }

// failure is the disk error that stopped checkpoints, or nil.
func (c *checkpointer) failure() error {
	if p := c.failed.Load(); p != nil {
		return *p
	}
	return nil
}

func (c *checkpointer) close() error {
	close(c.quit)
	<-c.done
	return c.db.Close()
}
