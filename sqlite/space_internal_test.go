package sqlite

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ncruces/go-sqlite3"
)

// A disk I/O error (or a full database) met while opening a database on a
// file system with next to nothing free says that the disk is full: serve
// said only "invalid _pragma: disk I/O error" on its database line. Any
// other error, or one with room left, is as it was.
func TestSpaceNote(t *testing.T) {
	t.Parallel()
	ioerr := fmt.Errorf("store unavailable: sqlite3: invalid _pragma: %w", sqlite3.IOERR)
	locked := fmt.Errorf("store unavailable: %w", sqlite3.BUSY)
	for _, tt := range []struct {
		name string
		err  error
		free uint64
		ok   bool
		full bool
	}{
		{"disk I/O error, nothing free", ioerr, 0, true, true},
		{"database full, a few KiB free", fmt.Errorf("migrate: %w", sqlite3.FULL), 40 << 10, true, true},
		{"disk I/O error, room left", ioerr, 10 << 30, true, false},
		{"disk I/O error, free space unknown", ioerr, 0, false, false},
		{"another error, nothing free", locked, 0, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var asked string
			got := spaceNote("/var/lib/getpaid/getpaid.db", tt.err, func(dir string) (uint64, bool) { asked = dir; return tt.free, tt.ok })
			if !errors.Is(got, tt.err) {
				t.Fatalf("%v does not wrap %v", got, tt.err)
			}
			said := strings.Contains(got.Error(), "no space left on device") && strings.Contains(got.Error(), "/var/lib/getpaid has")
			if said != tt.full {
				t.Fatalf("%v: says a full disk %v, want %v", got, said, tt.full)
			}
			if tt.full && asked != "/var/lib/getpaid" {
				t.Fatalf("free space asked of %q, want the database's directory", asked)
			}
		})
	}
}
