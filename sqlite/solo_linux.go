package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"
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
// file beside it for its lifetime and appends a byte to it; then it tests
// whether anyone else holds a lock. A Store is alone if nobody did at that
// moment and the marker has not grown since its own byte (nobody opened the
// file after it). A lock is dropped when its holder dies; the bytes stay, so
// a process that came and went also counts. Whatever the interleaving of
// two opens, at least the later one sees the earlier's lock, and the earlier
// one sees the marker grow.
type solo struct {
	f    *os.File
	size int64 // the marker's size after our own byte
	ok   bool  // nobody else held a lock when we tested
}

// newSolo registers this Store as a user of the database at dbPath.
func newSolo(dbPath string) (*solo, error) {
	f, err := os.OpenFile(dbPath+"-getpaid", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open the process marker: %w", err)
	}
	s := &solo{f: f}
	lk := syscall.Flock_t{Type: syscall.F_RDLCK, Whence: 0, Start: 0, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), fOFDSetLk, &lk); err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlite: lock the process marker: %w", err)
	}
	if _, err := f.Write([]byte{'.'}); err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlite: mark the process marker: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlite: process marker: %w", err)
	}
	s.size = st.Size()
	test := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), fOFDGetLk, &test); err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlite: test the process marker: %w", err)
	}
	s.ok = test.Type == syscall.F_UNLCK
	return s, nil
}

// alone reports whether no other Store has had the file open since this one
// opened it.
func (s *solo) alone() bool {
	if !s.ok {
		return false
	}
	if st, err := s.f.Stat(); err != nil || st.Size() != s.size {
		s.ok = false
	}
	return s.ok
}

// close releases the lock; closing twice is not an error (Store.Close may
// be called again).
func (s *solo) close() error {
	if err := s.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}
