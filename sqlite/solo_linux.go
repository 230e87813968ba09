package sqlite

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Open file description locks (Linux): owned by the open file, not the
// process, so two Stores in one process see each other, and a lock test
// ignores only the caller's own lock.
const (
	fOFDGetLk = 36 // F_OFD_GETLK
	fOFDSetLk = 37 // F_OFD_SETLK
)

// solo tells whether this Store is the only one using a database file, for
// the read cache. Every Store opening the file holds a read lock on a marker
// file beside it for its lifetime and adds one to a counter in it; then it
// tests whether anyone else holds a lock. A Store is alone if nobody did at
// that moment and the counter has not moved since its own addition (nobody
// opened the file after it). A lock is dropped when its holder dies; the
// count stays, so a process that came and went also counts. Whatever the
// interleaving of two opens, at least the later one sees the earlier's
// lock, and the earlier one sees the counter move.
//
// The counter is the marker's first 8 bytes, mapped shared into every
// process that opens it and changed with atomic instructions, so checking it
// (on every cached read and every write) is a memory load where a stat of
// the marker was a system call. A shared mapping of a file on a local file
// system is coherent between processes, as SQLite's own WAL index is.
type solo struct {
	f *os.File
	m []byte         // the marker, mapped
	n *atomic.Uint64 // the counter in m
	// mine is the counter after our own addition, or as it was when
	// again found this Store alone once more.
	mine atomic.Uint64
	// ok: nobody else held a lock when we tested, and this Store is
	// not closed (Close may race a cached read).
	ok     atomic.Bool
	closed atomic.Bool
}

// newSolo registers this Store as a user of the database at dbPath.
func newSolo(dbPath string) (*solo, error) { return newSoloWith(dbPath, syscall.Fallocate) }

// newSoloWith is newSolo with the fallocate(2) to use (tests: a file system
// without it).
func newSoloWith(dbPath string, fallocate func(fd int, mode uint32, off, size int64) error) (_ *solo, err error) {
	f, err := os.OpenFile(dbPath+"-getpaid", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open the process marker: %w", err)
	}
	s := &solo{f: f}
	defer func() {
		if err != nil {
			_ = s.close()
		}
	}()
	lk := syscall.Flock_t{Type: syscall.F_RDLCK, Whence: 0, Start: 0, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), fOFDSetLk, &lk); err != nil {
		return nil, fmt.Errorf("sqlite: lock the process marker: %w", err)
	}
	// The counter needs the marker's first 8 bytes: allocating them
	// never shrinks the file, whoever does it first (a new marker's are
	// zeros; an older getpaid's marker keeps its bytes).
	if err := growMarker(f, fallocate); err != nil {
		return nil, fmt.Errorf("sqlite: size the process marker: %w", err)
	}
	if s.m, err = syscall.Mmap(int(f.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED); err != nil {
		return nil, fmt.Errorf("sqlite: map the process marker: %w", err)
	}
	runtime.AddCleanup(s, func(m []byte) { _ = syscall.Munmap(m) }, s.m)
	s.n = (*atomic.Uint64)(unsafe.Pointer(&s.m[0])) // page-aligned
	s.mine.Store(s.n.Add(1))
	// Versions before the counter watched the marker's size: grow it too,
	// so that one still running (before an upgrade) stops trusting its
	// cache.
	if _, err := f.Write([]byte{'.'}); err != nil {
		return nil, fmt.Errorf("sqlite: mark the process marker: %w", err)
	}
	others, err := s.othersLock()
	if err != nil {
		return nil, fmt.Errorf("sqlite: test the process marker: %w", err)
	}
	s.ok.Store(!others)
	return s, nil
}

// othersLock reports whether another open of the marker holds a lock on it
// (our own is ignored: an open file description's lock). It goes through
// the file's RawConn, which holds the descriptor while the test runs, so a
// Close racing it (a read's cache look, see again) waits for it and never
// has the number reused under it; once closed, it fails.
func (s *solo) othersLock() (bool, error) {
	rc, err := s.f.SyscallConn()
	if err != nil {
		return false, err
	}
	test := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 1}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.FcntlFlock(fd, fOFDGetLk, &test) }); err != nil {
		return false, err
	}
	return test.Type != syscall.F_UNLCK, lerr
}

// growMarker makes the marker at least 8 bytes long, never shorter.
// fallocate does it in one call; a file system without it (NFSv3, many
// FUSE file systems, ZFS on Linux before 2.0: EOPNOTSUPP) gets an
// ftruncate while the marker is shorter. Another process may grow it
// between the two calls; ftruncate to 8 changes no byte below 8, so the
// counter is never touched, and at worst drops a byte appended past it,
// which only versions before the counter look at (for a change of size,
// which they see either way).
func growMarker(f *os.File, fallocate func(fd int, mode uint32, off, size int64) error) error {
	err := fallocate(int(f.Fd()), 0, 0, 8)
	if !errors.Is(err, syscall.EOPNOTSUPP) && !errors.Is(err, syscall.ENOSYS) && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() >= 8 {
		return nil
	}
	return f.Truncate(8)
}

// alone reports whether no other Store has had the file open since this one
// opened it.
func (s *solo) alone() bool {
	if !s.ok.Load() {
		return false
	}
	if s.n.Load() != s.mine.Load() {
		s.ok.Store(false)
		return false
	}
	return true
}

// again tests, for a Store that was not alone, whether it is alone now:
// every other Store that had the file open since this one did has closed
// it (or died, which drops its lock). If so, alone answers true again, from
// the counter as read here; the caller must have forgotten whatever it
// trusted while others wrote (they may have changed anything). The test is
// the one newSolo makes, in the other order: read the counter, then test
// for another's lock. A Store opening meanwhile either holds its lock
// before the test (seen) or adds to the counter after the read (alone sees
// it move), as it locks before it adds.
func (s *solo) again() bool {
	if s.closed.Load() {
		return false
	}
	n := s.n.Load()
	if others, err := s.othersLock(); err != nil || others {
		return false
	}
	s.mine.Store(n)
	s.ok.Store(true)
	if s.closed.Load() { // Close ran meanwhile: it stays off
		s.ok.Store(false)
		return false
	}
	return true
}

// close releases the lock; closing twice is not an error (Store.Close may
// be called again).
func (s *solo) close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.ok.Store(false) // a closed Store answers nothing from its cache
	// The mapping holds the open file, and with it the lock, until it is
	// unmapped: unlock first. The mapping itself goes when s is garbage
	// (a cached read racing Close may still look at the counter).
	un := syscall.Flock_t{Type: syscall.F_UNLCK, Whence: 0, Start: 0, Len: 1}
	err := syscall.FcntlFlock(s.f.Fd(), fOFDSetLk, &un)
	return errors.Join(err, s.f.Close())
}
