//go:build !unix

package sqlite

import "io/fs"

// unlinked reports whether an open file has no name left: elsewhere than
// on Unix an open file cannot be deleted.
func unlinked(fs.FileInfo) bool { return false }
