package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// checkpointer copies the WAL back into the database file on a connection
// of its own, so the writer never runs a checkpoint inside a commit (SQLite's
// automatic checkpoint would, about once every thousand pages, making that
// commit's writes wait). The writer's connection has wal_autocheckpoint off;
// after commits, the checkpointer runs a PASSIVE checkpoint (it never blocks
// the writer or readers) at most every interval. SQLite restarts the WAL from
// its beginning once it has all been copied, so the file stays small.
//
// After a failed flush of the WAL it runs no more checkpoints: the kernel may
// have dropped the pages it could not write, and a checkpoint copies frames
// into the database file without checking them (WAL recovery, at the next
// open, checks their checksums and keeps only a valid prefix).
type checkpointer struct {
	db       *sql.DB
	interval time.Duration
	halted   func() bool // a flush failed: checkpoint no more
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
	if c.halted() {
		return false
	}
	// A failed checkpoint is retried at the next commit; the WAL only grows
	// meanwhile, as it would while a reader held it.
	_, _ = c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
	return true
}

func (c *checkpointer) close() error {
	close(c.quit)
	<-c.done
	return c.db.Close()
}
