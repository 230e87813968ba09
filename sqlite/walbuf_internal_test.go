package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/vfs"
)

// fakeWAL is a vfs.File in memory that records every write reaching it.
type fakeWAL struct {
	vfs.File // nil: only the methods below are called
	data     []byte
	writes   []int64 // offsets of the writes that reached the file
	failNext error
	synced   int
}

func (f *fakeWAL) WriteAt(p []byte, off int64) (int, error) {
	if err := f.failNext; err != nil {
		f.failNext = nil
		return 0, err
	}
	if end := off + int64(len(p)); end > int64(len(f.data)) {
		f.data = append(f.data, make([]byte, end-int64(len(f.data)))...)
	}
	copy(f.data[off:], p)
	f.writes = append(f.writes, off)
	return len(p), nil
}

func (f *fakeWAL) ReadAt(p []byte, off int64) (int, error) {
	return copy(p, f.data[off:]), nil
}

func (f *fakeWAL) Size() (int64, error)                            { return int64(len(f.data)), nil }
func (f *fakeWAL) Truncate(n int64) error                          { f.data = f.data[:n]; return nil }
func (f *fakeWAL) Sync(vfs.SyncFlag) error                         { f.synced++; return nil }
func (f *fakeWAL) Close() error                                    { return nil }
func (f *fakeWAL) frames(n int) (total int64)                      { return walHeaderSize + int64(n)*(frameHeaderSize+512) }
func (f *fakeWAL) DeviceCharacteristics() vfs.DeviceCharacteristic { return 0 }

const testPage = 512

// crashCopy copies the database at path and its WAL (not its WAL index)
// as they are in the file system now, as a crash would leave them, and
// opens the copy: SQLite recovers it from the WAL alone, whose frames'
// checksums must chain up to each commit it keeps.
func crashCopy(t *testing.T, path string) *sql.DB {
	t.Helper()
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := OpenDB(crashed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newWAL is a walFile over a fake WAL whose header SQLite has just written.
func newWAL(t *testing.T) (*walFile, *fakeWAL) {
	t.Helper()
	inner := &fakeWAL{}
	f := &walFile{File: inner}
	if _, err := f.WriteAt(make([]byte, walHeaderSize), 0); err != nil {
		t.Fatal(err)
	}
	return f, inner
}

// frame writes one frame of page pgno the way SQLite does: its header,
// then its page. commitSize is nonzero for a commit frame.
func frame(t *testing.T, f vfs.File, i int, commitSize uint32, fill byte) {
	t.Helper()
	off := int64(walHeaderSize + i*(frameHeaderSize+testPage))
	hdr := make([]byte, frameHeaderSize)
	binary.BigEndian.PutUint32(hdr[0:4], uint32(i+1))
	binary.BigEndian.PutUint32(hdr[4:8], commitSize)
	if _, err := f.WriteAt(hdr, off); err != nil {
		t.Fatalf("frame %d header: %v", i, err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{fill}, testPage), off+frameHeaderSize); err != nil {
		t.Fatalf("frame %d page: %v", i, err)
	}
}

func TestWALFileOneWritePerCommit(t *testing.T) {
	t.Parallel()
	f, inner := newWAL(t)
	frame(t, f, 0, 0, 'a')
	frame(t, f, 1, 0, 'b')
	if len(inner.writes) != 0 {
		t.Fatalf("frames of an open transaction reached the file: %v", inner.writes)
	}
	frame(t, f, 2, 3, 'c') // the commit frame
	if len(inner.writes) != 1 || inner.writes[0] != 0 {
		t.Fatalf("writes reaching the file = %v, want one at 0", inner.writes)
	}
	if got, want := int64(len(inner.data)), inner.frames(3); got != want {
		t.Fatalf("file size %d, want %d", got, want)
	}
	// The next transaction starts where this one ended.
	frame(t, f, 3, 4, 'd')
	if len(inner.writes) != 2 || inner.writes[1] != inner.frames(3) {
		t.Fatalf("writes = %v, want a second one at %d", inner.writes, inner.frames(3))
	}
	if page := inner.data[inner.frames(3)+frameHeaderSize]; page != 'd' {
		t.Fatalf("second commit's page = %q", page)
	}
}

// Everything that looks at the file, or is not the next write, writes out
// what is gathered first.
func TestWALFileWritesOutBeforeLooking(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		do   func(f *walFile) error
	}{
		{"read back a spilled page", func(f *walFile) error {
			p := make([]byte, testPage)
			if _, err := f.ReadAt(p, walHeaderSize+frameHeaderSize); err != nil {
				return err
			}
			if p[0] != 'a' {
				return errors.New("read did not see the gathered page")
			}
			return nil
		}},
		{"size", func(f *walFile) error {
			n, err := f.Size()
			if err == nil && n != walHeaderSize+2*(frameHeaderSize+testPage) {
				return errors.New("size did not count the gathered frames")
			}
			return err
		}},
		{"sync", func(f *walFile) error { return f.Sync(vfs.SYNC_NORMAL) }},
		{"truncate", func(f *walFile) error { return f.Truncate(walHeaderSize + 2*(frameHeaderSize+testPage)) }},
		{"rewrite a frame in place", func(f *walFile) error {
			_, err := f.WriteAt(make([]byte, frameHeaderSize), walHeaderSize)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, inner := newWAL(t)
			frame(t, f, 0, 0, 'a')
			frame(t, f, 1, 0, 'b')
			if err := tc.do(f); err != nil {
				t.Fatal(err)
			}
			if len(inner.writes) == 0 || inner.writes[0] != 0 {
				t.Fatalf("gathered frames not written first: %v", inner.writes)
			}
			if inner.data[walHeaderSize+frameHeaderSize] != 'a' || inner.data[walHeaderSize+2*frameHeaderSize+testPage] != 'b' {
				t.Fatal("gathered pages missing from the file")
			}
		})
	}
}

// SQLite closes the WAL only after rolling back any open transaction, and
// a commit is written out at its commit frame: what is still gathered at
// Close is a dead transaction's, and must not reach the file, where another
// writer may have put its own frames since.
func TestWALFileCloseDropsWhatIsGathered(t *testing.T) {
	t.Parallel()
	f, inner := newWAL(t)
	frame(t, f, 0, 1, 'a') // committed: in the file
	frame(t, f, 1, 0, 'b') // a frame of a transaction rolled back
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if len(inner.writes) != 1 || int64(len(inner.data)) != inner.frames(1) {
		t.Fatalf("writes %v, file of %d bytes; want the committed frame alone (%d)", inner.writes, len(inner.data), inner.frames(1))
	}
}

// After a failed write of gathered frames nothing is trusted: SQLite was
// told those frames were written.
func TestWALFileFailureIsForGood(t *testing.T) {
	t.Parallel()
	inner := &fakeWAL{}
	f := &walFile{File: inner}
	frame(t, f, 0, 0, 'a')
	boom := errors.New("disk full")
	inner.failNext = boom
	hdr := make([]byte, frameHeaderSize)
	binary.BigEndian.PutUint32(hdr[4:8], 2)
	if _, err := f.WriteAt(hdr, walHeaderSize+frameHeaderSize+testPage); err != nil {
		t.Fatal(err) // the commit header is gathered; its page writes
	}
	if _, err := f.WriteAt(make([]byte, testPage), walHeaderSize+2*frameHeaderSize+testPage); !errors.Is(err, boom) {
		t.Fatalf("commit page write: err = %v, want %v", err, boom)
	}
	if _, err := f.WriteAt(make([]byte, frameHeaderSize), 0); !errors.Is(err, boom) {
		t.Fatalf("later write: err = %v, want %v", err, boom)
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, boom) {
		t.Fatalf("later read: err = %v, want %v", err, boom)
	}
	if err := f.Sync(vfs.SYNC_NORMAL); !errors.Is(err, boom) || inner.synced != 0 {
		t.Fatalf("later sync: err = %v (synced %d), want %v and no sync", err, inner.synced, boom)
	}
}

// The store's writer goes through walFile, and what it commits is in the
// file when the commit returns: a second connection, opened without it,
// reads it, and so does a reopened store.
func TestWALFileUnderTheStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wal.db")
	ctx := context.Background()
	w, err := openWritePool(DefaultDriver, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	r, err := OpenDB(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	big := string(bytes.Repeat([]byte{'x'}, 3000))
	for i := range 50 {
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 20 {
			if _, err := tx.ExecContext(ctx, "INSERT INTO t (k, v) VALUES (?, ?)", i*20+j, big); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := r.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != (i+1)*20 {
			t.Fatalf("after commit %d another connection sees %d rows, want %d", i, n, (i+1)*20)
		}
	}
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() < 50*20*3000 {
		t.Fatalf("WAL: %v, %v", st, err)
	}

	// A transaction bigger than the page cache spills frames before its
	// commit, reads them back and rewrites some in place, so SQLite
	// rewrites the checksums of the frames after them once the commit
	// frame is written; one bigger than walBufMax is written out as it
	// goes. The writer's settings: no sync at commit, no checkpoint.
	if _, err := w.ExecContext(ctx, "PRAGMA cache_size=8; PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=NORMAL"); err != nil {
		t.Fatal(err)
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k := 1000; k < 5000; k++ {
		if _, err := tx.ExecContext(ctx, "INSERT INTO t (k, v) VALUES (?, ?)", k, big); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE t SET v = 'y' || substr(v, 2) WHERE k % 7 = 0"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// What a crash right after the commit would leave: the database and
	// its WAL as they are in the file system now, recovered from the WAL
	// alone (its frames' checksums must chain up to the commit).
	c := crashCopy(t, path)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for name, db := range map[string]*sql.DB{"another connection": r, "a copy taken after the commit": c} {
		var n, ys int
		var check string
		if err := db.QueryRowContext(ctx, "SELECT count(*), sum(v LIKE 'y%') FROM t").Scan(&n, &ys); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil {
			t.Fatal(err)
		}
		if n != 5000 || ys != 715 || check != "ok" {
			t.Errorf("%s, after the big commit: %d rows, %d updated, integrity %q; want 5000, 715, ok", name, n, ys, check)
		}
	}
}

// After the commit frame SQLite may rewrite the headers of the frames
// before it (checksums recomputed after a page was written again in place),
// the commit frame's last: each must reach the file before SQLite goes on,
// or a crash leaves the commit's checksum stale and recovery drops it.
func TestWALFileRewritesGoStraightThrough(t *testing.T) {
	t.Parallel()
	f, inner := newWAL(t)
	frame(t, f, 0, 0, 'a')
	frame(t, f, 1, 2, 'b') // committed, written out
	written := len(inner.writes)
	for i, commitSize := range []uint32{0, 2} {
		hdr := make([]byte, frameHeaderSize)
		binary.BigEndian.PutUint32(hdr[4:8], commitSize)
		hdr[20] = 'x' // a new checksum
		off := int64(walHeaderSize + i*(frameHeaderSize+testPage))
		if _, err := f.WriteAt(hdr, off); err != nil {
			t.Fatal(err)
		}
		if len(inner.writes) != written+i+1 || inner.data[off+20] != 'x' {
			t.Fatalf("rewrite of frame %d's header not in the file: writes %v", i, inner.writes)
		}
	}
	// The next transaction appends, and is gathered again.
	frame(t, f, 2, 0, 'c')
	if len(inner.writes) != written+2 {
		t.Fatalf("the next transaction's first frame reached the file before its commit: %v", inner.writes)
	}
	frame(t, f, 3, 4, 'c')
	if len(inner.writes) != written+3 {
		t.Fatalf("the next transaction took %d writes, want one", len(inner.writes)-written-2)
	}
	// A WAL started again from the top is gathered too.
	if _, err := f.WriteAt(make([]byte, walHeaderSize), 0); err != nil {
		t.Fatal(err)
	}
	frame(t, f, 0, 0, 'd')
	frame(t, f, 1, 2, 'e')
	if got := inner.writes[len(inner.writes)-1]; got != 0 || inner.data[walHeaderSize+2*frameHeaderSize+testPage] != 'e' {
		t.Fatalf("restarted WAL: last write at %d, writes %v", got, inner.writes)
	}
}

// gathered returns how many bytes the writer connection's walFile holds
// back, read through SQLite's own pointer to its WAL file.
func gathered(t *testing.T, ctx context.Context, db *sql.DB) int {
	t.Helper()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := -1
	err = conn.Raw(func(c any) error {
		f, err := c.(interface{ Raw() *sqlite3.Conn }).Raw().FileControl("main", sqlite3.FCNTL_JOURNAL_POINTER)
		if err != nil {
			return err
		}
		wf, ok := f.(*walFile)
		if !ok {
			return fmt.Errorf("the writer's WAL is a %T, not a walFile", f)
		}
		n = len(wf.buf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A transaction that spilled frames and was rolled back leaves them
// gathered; SQLite forgets them (sqlite3WalUndo moves mxFrame back, nothing
// is written) and lets the next writer, another connection or process,
// append its own frames at the same offsets. Those dead frames must never
// reach the file after that: written over the other writer's committed
// frames, they would replace its pages (readers and the checkpointer would
// take them for its) and break the checksum chain up to its commit frame.
func TestWALFileRolledBackFramesNeverReachTheFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rollback.db")
	ctx := context.Background()
	w, err := openWritePool(DefaultDriver, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	other, err := OpenDB(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); CREATE TABLE o (k INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	// Everything so far is checkpointed: rolling back reads nothing from
	// the WAL (which would write out what is gathered while the writer
	// still holds the write lock).
	if _, err := w.ExecContext(ctx, "PRAGMA cache_size=8; PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=NORMAL; PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	big := string(bytes.Repeat([]byte{'w'}, 3000))
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 400 {
		if _, err := tx.ExecContext(ctx, "INSERT INTO t (k, v) VALUES (?, ?)", k, big); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := gathered(t, ctx, w); n != 0 {
		t.Errorf("after the rollback the writer still holds %d bytes of dead frames", n)
	}

	// Another writer commits where the rolled-back frames were.
	otx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	mine := string(bytes.Repeat([]byte{'o'}, 3000))
	for k := range 400 {
		if _, err := otx.ExecContext(ctx, "INSERT INTO o (k, v) VALUES (?, ?)", k, mine); err != nil {
			t.Fatal(err)
		}
	}
	if err := otx.Commit(); err != nil {
		t.Fatal(err)
	}
	// The writer reads what the other committed, then writes again.
	var n int
	if err := w.QueryRowContext(ctx, "SELECT count(*) FROM o WHERE v = ?", mine).Scan(&n); err != nil {
		t.Errorf("the writer reading the other's commit: %v", err)
	}
	if _, err := w.ExecContext(ctx, "INSERT INTO t (k, v) VALUES (1, 'x')"); err != nil {
		t.Errorf("the writer's next commit: %v", err)
	}

	// What a crash now would leave, recovered from the WAL alone, and a
	// connection reading the live files.
	c := crashCopy(t, path)
	fresh, err := OpenDB(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	for name, db := range map[string]*sql.DB{"a fresh connection": fresh, "a copy taken now": c} {
		var n, ts int
		var check string
		if err := db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM o WHERE v = ?), (SELECT count(*) FROM t)", mine).Scan(&n, &ts); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil {
			t.Errorf("%s: integrity check: %v", name, err)
			continue
		}
		if n != 400 || ts != 1 || check != "ok" {
			t.Errorf("%s: the other writer's rows %d, the writer's %d, integrity %q; want 400, 1, ok", name, n, ts, check)
		}
	}
}

// Where the disk does not promise powersafe overwrite (psow=0) and SQLite
// syncs its commits (synchronous=FULL), it pads a commit with copies of its
// commit frame up to a sector boundary and, when the last copy crosses it,
// writes that copy's tail after the sync (walWriteToLog): the tail of a
// frame already published. Other connections must read every commit whole.
func TestWALFilePaddedCommitsAreWhole(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "psow.db")
	ctx := context.Background()
	registerWALVFS()
	w, err := sqlite3driver.Open(dsn(path, Options{}, false)+"&psow=0&vfs="+walVFSName, dropOnRollback)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	r, err := OpenDB(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range 40 {
		if _, err := w.ExecContext(ctx, "INSERT INTO t (k, v) VALUES (?, ?)", i, strings.Repeat(string(rune('a'+i%26)), 100*i)); err != nil {
			t.Fatal(err)
		}
		var n int
		var check string
		if err := r.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Fatalf("commit %d: another connection: %v", i, err)
		}
		if err := r.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil || n != i+1 || check != "ok" {
			t.Fatalf("commit %d: another connection sees %d rows, check %q (%v)", i, n, check, err)
		}
	}
}

// What is written out may end between a frame's header and its page (a
// transaction outgrowing walBufMax is written out after whichever write
// crosses it; here a read). A transaction rolled back to before it writes
// its frames again, at once where the file has them, gathered past them; if
// its commit frame's header is the last write at once, its page is
// gathered, and must still be written before the commit returns.
func TestWALFileCommitPageAfterARewriteIsWritten(t *testing.T) {
	t.Parallel()
	f, inner := newWAL(t)
	frame(t, f, 0, 0, 'a')
	hdr := make([]byte, frameHeaderSize)
	if _, err := f.WriteAt(hdr, walHeaderSize+frameHeaderSize+testPage); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); err != nil { // written out up to frame 1's page
		t.Fatal(err)
	}
	f.discard() // rolled back: the same frames again, frame 1 the commit
	frame(t, f, 0, 0, 'b')
	frame(t, f, 1, 2, 'c')
	if got := inner.data[walHeaderSize+2*frameHeaderSize+testPage:]; int64(len(inner.data)) != inner.frames(2) || got[0] != 'c' {
		t.Fatalf("the commit frame's page is not in the file: file of %d bytes, want %d", len(inner.data), inner.frames(2))
	}
}
