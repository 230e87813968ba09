package sqlite

import (
	"encoding/binary"
	"errors"
	"sync"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/vfs"
)

// walVFSName is the SQLite VFS the write connection opens its database
// with: the operating system's, with the WAL file's writes gathered (see
// walFile).
const walVFSName = "getpaid-wal"

// registerWALVFS registers walVFS with the driver once per process. The
// driver keeps VFSes in a registry of its own, by name; what is registered
// never changes.
var registerWALVFS = sync.OnceFunc(func() {
	vfs.Register(walVFSName, walVFS{os: vfs.Find("")})
})

// walVFS opens files as the OS VFS does and wraps the WAL in a walFile.
type walVFS struct{ os vfs.VFS }

// Open opens a file by name alone, without its database: the driver calls
// OpenFilename instead. A WAL opened here is not wrapped (see
// OpenFilename).
func (v walVFS) Open(name string, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	return v.os.Open(name, flags)
}

// OpenFilename wraps a WAL in a walFile, unless its database's file does
// not promise powersafe overwrite (psow=0). SQLite then pads a synced commit
// with copies of its commit frame to a sector boundary and writes the tail
// of the last copy after its sync (walFrames, walWriteToLog), so bytes of a
// published frame would stay gathered (TestWALFilePaddedCommitsAreWhole).
// SQLite reads the database file's device characteristics once, when it
// opens the WAL (sqlite3WalOpen), as done here.
func (v walVFS) OpenFilename(name *vfs.Filename, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	f, out, err := v.os.(vfs.VFSFilename).OpenFilename(name, flags)
	if err == nil && flags&vfs.OPEN_WAL != 0 {
		if db := name.DatabaseFile(); db == nil || db.DeviceCharacteristics()&vfs.IOCAP_POWERSAFE_OVERWRITE == 0 {
			return f, out, nil
		}
	}
	return wrapWAL(f, flags, out, err)
}

func (v walVFS) Delete(name string, syncDir bool) error { return v.os.Delete(name, syncDir) }

func (v walVFS) Access(name string, flags vfs.AccessFlag) (bool, error) {
	return v.os.Access(name, flags)
}

func (v walVFS) FullPathname(name string) (string, error) { return v.os.FullPathname(name) }

func wrapWAL(f vfs.File, flags, out vfs.OpenFlag, err error) (vfs.File, vfs.OpenFlag, error) {
	if err != nil || flags&vfs.OPEN_WAL == 0 {
		return f, out, err
	}
	return &walFile{File: f}, out, nil
}

// WAL layout (https://sqlite.org/fileformat2.html#walformat): a 32-byte
// header, then frames, each a 24-byte header and one page. Bytes 4–7 of a
// frame header are nonzero only in a transaction's commit frame.
const (
	walHeaderSize   = 32
	frameHeaderSize = 24
	walBufMax       = 8 << 20 // write out a transaction bigger than this as it goes
)

// walFile gathers the writes SQLite appends to the WAL file during a
// transaction and writes them with one system call when the transaction's
// commit frame is complete. SQLite writes each frame as two writes (its
// header, then its page), so a commit of n pages was 2n pwrites, about a
// tenth of the server's CPU under load; it is now one.
//
// Why nobody can see a frame that is not in the file yet. SQLite writes
// every frame of a transaction before it publishes any of them in the
// WAL-index (the shared memory other connections and processes read to find
// frames), and it publishes the commit (the index header with the new last
// frame) only after that. The commit frame's page is the last frame a
// commit appends, so the whole transaction is in the file, written by this
// call, before SQLite goes on to publish it. Only appends are gathered:
// anything else goes to the file at once, after what is gathered. That
// covers SQLite rewriting frames it has already written, in place: a page
// of the transaction written again after a cache spill, and then, after the
// commit frame, the headers of the frames that follow it, with their
// checksums recomputed (were the commit frame's header held back then, a
// crash would leave a WAL whose checksums end before the commit, and
// recovery would drop a commit already answered as durable:
// TestWALFileUnderTheStore). (SQLite also appends copies of the commit frame
// after it, to pad the WAL to a sector, but only for a database file without
// powersafe overwrite: such a WAL is not wrapped, see OpenFilename.) Reading,
// asking the file's size, syncing and truncating write out what is gathered
// first. A crash before
// the commit frame's page loses only an uncommitted transaction, as it
// would have without this. After a failed write of gathered bytes
// everything fails: SQLite was told those writes had succeeded, so nothing
// written after them may be trusted until the database is opened again (WAL
// recovery then keeps the valid commits).
//
// What is gathered when SQLite rolls a transaction back is dropped, never
// written (dropOnRollback, Close). A transaction bigger than the page cache
// writes frames before its commit; rolled back, SQLite forgets them
// (sqlite3WalUndo moves its end of the log back and writes nothing) and
// gives up the write lock, and the next writer, another connection or
// process, appends its own frames at the same offsets. Written out after
// that, on this handle's next read or write, the dead frames replaced that
// writer's committed pages and broke the checksums up to its commit
// (TestWALFileRolledBackFramesNeverReachTheFile).
type walFile struct {
	vfs.File
	buf    []byte
	off    int64 // the file offset of buf[0]
	end    int64 // how far this handle has written the file: a write before it rewrites
	commit bool  // the last write gathered was a commit frame's header
	err    error // the first failed write of gathered bytes, for good
}

func (f *walFile) WriteAt(p []byte, off int64) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if len(f.buf) > 0 && off != f.off+int64(len(f.buf)) {
		// Not the next write in sequence: write out what is gathered.
		f.commit = false
		if err := f.flush(); err != nil {
			return 0, err
		}
	}
	if off == 0 {
		f.end = 0 // a new WAL header: the log starts again from the top
	}
	if len(f.buf) == 0 && off < f.end {
		// A rewrite of what is in the file already: at once. If it is a
		// commit frame's header reaching the end of what is written (a
		// transaction written again after a rollback, over frames
		// written out up to a page), its page is an append that must not
		// stay gathered: TestWALFileCommitPageAfterARewriteIsWritten.
		n, err := f.File.WriteAt(p, off)
		if err == nil {
			f.end = max(f.end, off+int64(n))
		}
		f.commit = err == nil && off+int64(n) == f.end && commitHeader(p, off)
		return n, err
	}
	if len(f.buf) == 0 {
		f.off = off
	}
	f.buf = append(f.buf, p...)
	switch {
	case f.commit:
		// The commit frame's page: the transaction is complete.
		f.commit = false
		if err := f.flush(); err != nil {
			return 0, err
		}
	case commitHeader(p, off):
		f.commit = true
	case len(f.buf) >= walBufMax:
		if err := f.flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// commitHeader reports whether a write is the header of a commit frame.
func commitHeader(p []byte, off int64) bool {
	return len(p) == frameHeaderSize && off >= walHeaderSize && binary.BigEndian.Uint32(p[4:8]) != 0
}

// flush writes the gathered bytes out.
func (f *walFile) flush() error {
	if f.err != nil {
		return f.err
	}
	if len(f.buf) == 0 {
		return nil
	}
	_, err := f.File.WriteAt(f.buf, f.off)
	if err == nil {
		f.end = max(f.end, f.off+int64(len(f.buf)))
	}
	f.empty()
	if err != nil {
		f.err = err
	}
	return err
}

// discard drops what is gathered without writing it.
func (f *walFile) discard() {
	f.commit = false
	f.empty()
}

// empty empties the buffer, written out or dropped.
func (f *walFile) empty() {
	if cap(f.buf) > 1<<20 {
		f.buf = nil // a big transaction's buffer is not kept
	} else {
		f.buf = f.buf[:0]
	}
}

// dropOnRollback is the init function of a connection opened with walVFS:
// when SQLite rolls a transaction back (a ROLLBACK, or one it does itself
// after an error), its walFile drops the frames it gathered for it. The
// hook runs inside the rollback, before the connection does anything else,
// so nothing gathered for a dead transaction reaches the file after SQLite
// released the write lock. Looking the WAL up is a read of the pager's
// pointer (SQLITE_FCNTL_JOURNAL_POINTER): it is done at each rollback, as
// SQLite opens the WAL on the connection's first read.
func dropOnRollback(c *sqlite3.Conn) error {
	c.RollbackHook(func() {
		if f, err := c.FileControl("main", sqlite3.FCNTL_JOURNAL_POINTER); err == nil {
			if w, ok := f.(*walFile); ok {
				w.discard()
			}
		}
	})
	return nil
}

func (f *walFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.flush(); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

func (f *walFile) Size() (int64, error) {
	if err := f.flush(); err != nil {
		return 0, err
	}
	return f.File.Size()
}

func (f *walFile) Truncate(size int64) error {
	if err := f.flush(); err != nil {
		return err
	}
	f.end = min(f.end, size)
	return f.File.Truncate(size)
}

func (f *walFile) Sync(flags vfs.SyncFlag) error {
	if err := f.flush(); err != nil {
		return err
	}
	return f.File.Sync(flags)
}

// Close drops what is gathered: SQLite closes the WAL (sqlite3WalClose,
// from sqlite3PagerClose) only after sqlite3BtreeClose rolled back any open
// transaction, and a commit is written out at its commit frame, so anything
// still gathered belongs to a transaction rolled back (see walFile). A
// failed write of gathered bytes is still reported.
func (f *walFile) Close() error {
	f.discard()
	return errors.Join(f.err, f.File.Close())
}
