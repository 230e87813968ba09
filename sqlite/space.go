package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/ncruces/go-sqlite3"
)

// lowSpace is the free space below which a disk I/O error or a full
// database met while opening the store is taken for a full disk.
const lowSpace = 1 << 20

// spaceNote adds to err, met while opening or migrating the database at
// path, that the file system holding it is full, when err is a disk I/O
// error or a full database and free (freeSpace off tests) reports less
// than lowSpace free there: SQLite says only "disk I/O error" of a WAL or
// its index it could not grow, and an operator was left to guess.
func spaceNote(path string, err error, free func(dir string) (uint64, bool)) error {
	if !errors.Is(err, sqlite3.IOERR) && !errors.Is(err, sqlite3.FULL) {
		return err
	}
	dir := filepath.Dir(path)
	n, ok := free(dir)
	if !ok || n >= lowSpace {
		return err
	}
	return fmt.Errorf("%w (no space left on device: the file system holding %s has %d bytes free; free some, or move the database to a disk with room)", err, dir, n)
}
