package sqlite

import (
	"os"
	"syscall"
)

// fdatasync flushes f's data (and the size, which a WAL's growth changes)
// to the disk, as SQLite itself does on Linux.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
