package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ncruces/go-sqlite3"
)

// SQLite starts the WAL again from its top (writing over the old frames)
// only when a write transaction begins with every frame already copied into
// the database. The checkpointer copies them beside the writer, but under a
// stream of writes the writer's next transaction always begins before it is
// done, so the file grew as long as the stream lasted: 461 MB in 24 s of a
// saturated server, and it kept that size after the load, as SQLite never
// shrinks a WAL. So the writer copies what is left itself, before a batch,
// once the WAL is past walRestartSize: then that batch restarts the WAL.
// The size costs one stat per batch; the copy, every few hundred MB under
// a stream of writes, a few milliseconds.
//
// The copy is a PASSIVE checkpoint on the writer's connection, outside any
// transaction. It is as safe as the checkpointer's own: it syncs the WAL
// before it copies (synchronous=NORMAL does that for checkpoints), so it
// copies no frame that is not on the disk whatever the syncer has flushed;
// it stops at the oldest snapshot a reader holds (the restart then waits
// for a later batch); it is skipped once the checkpointer stops for a
// failed flush, and a disk error stops the checkpointer as its own would.
// walSizeLimit (journal_size_limit) then cuts the file back at the restart.
const (
	walRestartSize = 256 << 20
	walSizeLimit   = 64 << 20
)

// restartWAL runs the checkpoint that lets the next batch restart the WAL
// when the WAL is past its restart size.
func (w *writer) restartWAL() {
	limit := w.walRestart.Load()
	if limit <= 0 || w.walPath == "" || w.cp == nil {
		return
	}
	if fi, err := os.Stat(w.walPath); err != nil || fi.Size() <= limit {
		return
	}
	if w.cp.halted() || w.cp.failure() != nil {
		return
	}
	// An error other than the disk's (another checkpoint running, a
	// reader's snapshot) leaves the WAL as it was: the next batch tries
	// again.
	if _, err := w.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); errors.Is(err, sqlite3.IOERR) {
		w.cp.stop(unavailable(fmt.Errorf("sqlite: checkpoint: %w; no more checkpoints until the database is opened again", err)))
	}
}
