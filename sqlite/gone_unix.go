//go:build unix

package sqlite

import (
	"io/fs"
	"syscall"
)

// unlinked reports whether an open file has no name left.
func unlinked(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}
