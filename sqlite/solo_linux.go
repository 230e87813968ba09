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
	f    *os.File
	m    []byte         // the marker, mapped
	n    *atomic.Uint64 // the counter in m
	mine uint64         // the counter after our own addition
	ok   bool           // nobody else held a lock when we tested

	// closed is set by close, which races cached reads: a closed Store is
	// never alone (its lock is gone, and its reads must fail, not come
	// from the cache: TestClosedSQLiteStoreIsUnavailable in httpapi).
	closed atomic.Bool
}

// newSolo registers this Store as a user of the database at dbPath.
func newSolo(dbPath string) (_ *solo, err error) {
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
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, 8); err != nil {
		return nil, fmt.Errorf("sqlite: size the process marker: %w", err)
	}
	if s.m, err = syscall.Mmap(int(f.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED); err != nil {
		return nil, fmt.Errorf("sqlite: map the process marker: %w", err)
	}
	runtime.AddCleanup(s, func(m []byte) { _ = syscall.Munmap(m) }, s.m)
	s.n = (*atomic.Uint64)(unsafe.Pointer(&s.m[0])) // page-aligned
	s.mine = s.n.Add(1)
	// Versions before the counter watched the marker's size: grow it too,
	// so that one still running (before an upgrade) stops trusting its
	// cache.
	if _, err := f.Write([]byte{'.'}); err != nil {
		return nil, fmt.Errorf("sqlite: mark the process marker: %w", err)
	}
	test := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), fOFDGetLk, &test); err != nil {
		return nil, fmt.Errorf("sqlite: test the process marker: %w", err)
	}
	s.ok = test.Type == syscall.F_UNLCK
	return s, nil
}

// alone reports whether no other Store has had the file open since this one
// opened it.
func (s *solo) alone() bool {
	if !s.ok || s.closed.Load() {
		return false
	}
	if s.n.Load() != s.mine {
		s.ok = false
	}
	return s.ok
}

// close releases the lock; closing twice is not an error (Store.Close may
// be called again).
func (s *solo) close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// The mapping holds the open file, and with it the lock, until it is
	// unmapped: unlock first. The mapping itself goes when s is garbage
	// (a cached read racing Close may still look at the counter).
	un := syscall.Flock_t{Type: syscall.F_UNLCK, Whence: 0, Start: 0, Len: 1}
	err := syscall.FcntlFlock(s.f.Fd(), fOFDSetLk, &un)
	return errors.Join(err, s.f.Close())
}
