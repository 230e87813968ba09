package sqlite

import (
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/vfs"
)

// goneCheck is how often a Store looks whether its files are still the
// ones its path names.
const goneCheck = 250 * time.Millisecond

// watch notices the database file or its WAL deleted or replaced while the
// Store has them open: its directory removed, a backup moved over the file.
// SQLite goes on writing to the files it has open (in WAL mode it does not
// ask whether the database moved before a write), which no name reaches
// any more: every change answered after that is gone at the next start,
// which opens whatever the path names then (or, a WAL left without its
// database, replays that WAL's pages onto another file). Once it sees that,
// the Store takes no more writes (with the syncer, the default: its flush
// failure is set, so nothing committed since is answered done, checkpoints
// stop and Close leaves the WAL alone, as after a failed flush) and reports
// unready, until it is opened again. What was answered between the removal
// and the next look (at most goneCheck) went with the file, as did
// everything before it.
//
// Gone means for good: an open file no name links to any more (Unix), or
// another file under its name. A name that merely names nothing for a
// while (a volume away, the file renamed and back) is not: the files are
// the same when it comes back, and Ready's probe says unready meanwhile.
type watch struct {
	path    string
	db, wal statter        // the files SQLite and the syncer write; nil: not known
	was     [2]fs.FileInfo // what path and its WAL named at Open
	sync    *syncer        // nil: writes are not stopped, only reported
	gone    atomic.Pointer[error]
	stop    sync.Once
	quit    chan struct{}
	done    chan struct{}
}

// statter is an open file (os.File's Stat).
type statter interface{ Stat() (fs.FileInfo, error) }

// newWatch starts watching path and its WAL, as the writer's connection
// conn has them open; sc, when there is one, is stopped when they go.
func newWatch(path string, conn *sql.Conn, sc *syncer) (*watch, error) {
	w := &watch{path: path, sync: sc, quit: make(chan struct{}), done: make(chan struct{})}
	w.db = dbFile(conn)
	if sc != nil {
		w.wal = sc.wal // the very file the syncer flushes
	}
	for i := range w.was {
		// By name, as look compares them: an open file's own identity
		// (fstat) need not be the one its name reports on every file
		// system (a stacked one), and a store must not stop for that.
		var err error
		if w.was[i], err = os.Stat(w.name(i)); err != nil {
			return nil, fmt.Errorf("sqlite: stat %s: %w", w.name(i), err)
		}
	}
	go w.loop()
	return w, nil
}

// dbFile is the database file the connection writes, or nil (another
// driver).
func dbFile(conn *sql.Conn) statter {
	var f statter
	_ = conn.Raw(func(dc any) error {
		r, ok := dc.(interface{ Raw() *sqlite3.Conn })
		if !ok {
			return nil
		}
		v, err := r.Raw().FileControl("main", sqlite3.FCNTL_FILE_POINTER)
		for err == nil && v != nil {
			if st, ok := v.(statter); ok {
				f = st
				break
			}
			u, ok := v.(interface{ Unwrap() vfs.File }) // the driver's wrappers (checksums)
			if !ok {
				break
			}
			v = u.Unwrap()
		}
		return nil
	})
	return f
}

// name is the path of file i: the database (0) or its WAL (1).
func (w *watch) name(i int) string {
	if i == 0 {
		return w.path
	}
	return w.path + "-wal"
}

func (w *watch) loop() {
	defer close(w.done)
	t := time.NewTicker(goneCheck)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
		if w.look() {
			return
		}
	}
}

// look checks both files; it reports whether one went (and stops the store
// then).
func (w *watch) look() bool {
	for i, f := range []statter{w.db, w.wal} {
		why := ""
		if f != nil {
			if fi, err := f.Stat(); err == nil && unlinked(fi) {
				why = "deleted"
			}
		}
		if fi, err := os.Stat(w.name(i)); why == "" && err == nil && !os.SameFile(fi, w.was[i]) {
			why = "replaced by another file"
		}
		if why == "" {
			continue
		}
		err := unavailable(fmt.Errorf("sqlite: %s was %s while the store had it open: what was written to it since went with it; the store takes no more writes until it is opened again", w.name(i), why))
		w.gone.CompareAndSwap(nil, &err)
		if w.sync != nil {
			w.sync.failed.CompareAndSwap(nil, &err)
		}
		return true
	}
	return false
}

// failure is why the store stopped, or nil.
func (w *watch) failure() error {
	if p := w.gone.Load(); p != nil {
		return *p
	}
	return nil
}

// close stops watching; it may be called again.
func (w *watch) close() {
	w.stop.Do(func() { close(w.quit) })
	<-w.done
}
