package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/getpaid-go/getpaid/sqlite"
)

// Opened on a full disk, the store says so ("no space left on device"),
// not a bare "disk I/O error". It needs a tmpfs of its own to fill, so it
// runs where mounting one is allowed (as root) and is skipped elsewhere.
func TestOpenOnFullDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("mounting a tmpfs to fill: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	f, err := os.Create(filepath.Join(dir, "fill"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "getpaid.db"), sqlite.Options{})
	if err == nil {
		_ = s.Close()
		t.Fatal("opened on a full disk")
	}
	if !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("on a full disk: %v; want it to say no space left on device", err)
	}
}
