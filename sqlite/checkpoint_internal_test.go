package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/ncruces/go-sqlite3/vfs"
)

// failSyncVFS is the OS VFS whose database files fail every sync while
// fail is set: a disk answering EIO to the checkpoint's flush of the
// database file.
type failSyncVFS struct {
	os   vfs.VFS
	fail *atomic.Bool
}

func (v failSyncVFS) Open(name string, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	return v.os.Open(name, flags)
}

func (v failSyncVFS) OpenFilename(name *vfs.Filename, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	f, out, err := v.os.(vfs.VFSFilename).OpenFilename(name, flags)
	if err == nil && flags&vfs.OPEN_MAIN_DB != 0 {
		f = &failSyncFile{File: f, fail: v.fail}
	}
	return f, out, err
}

func (v failSyncVFS) Delete(name string, syncDir bool) error { return v.os.Delete(name, syncDir) }
func (v failSyncVFS) Access(name string, flags vfs.AccessFlag) (bool, error) {
	return v.os.Access(name, flags)
}
func (v failSyncVFS) FullPathname(name string) (string, error) { return v.os.FullPathname(name) }

type failSyncFile struct {
	vfs.File
	fail *atomic.Bool
}

func (f *failSyncFile) Sync(flags vfs.SyncFlag) error {
	if f.fail.Load() {
		return syscall.EIO
	}
	return f.File.Sync(flags)
}

func (f *failSyncFile) SharedMemory() vfs.SharedMemory {
	return f.File.(vfs.FileSharedMemory).SharedMemory()
}

func (f *failSyncFile) LockState() vfs.LockLevel { return f.File.(vfs.FileLockState).LockState() }

// TestFailedCheckpointSyncStopsCheckpoints: after a checkpoint failed on
// the disk (here its flush of the database file answers EIO) no checkpoint
// runs again (see checkpointer), the store says it is not ready, and Close
// leaves the WAL for the next open's recovery, which finds every change.
func TestFailedCheckpointSyncStopsCheckpoints(t *testing.T) {
	t.Parallel()
	var failSync atomic.Bool
	vfs.Register("getpaid-failsync-checkpoint", failSyncVFS{os: vfs.Find(""), fail: &failSync})
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "getpaid.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The store's checkpointer, on the failing VFS. The writer is idle:
	// the next write, handed over through its queue, sees the new one.
	if err := s.w.cp.close(); err != nil {
		t.Fatal(err)
	}
	s.w.cp, err = newCheckpointer(DefaultDriver, dsn(path, Options{}, false)+"&vfs=getpaid-failsync-checkpoint", time.Hour,
		func() bool { return s.w.sync != nil && s.w.sync.failure() != nil })
	if err != nil {
		t.Fatal(err)
	}
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-ckpt", Backend: "dummy", Status: getpaid.StatusNew,
		Amount: getpaid.MustParseMoney("10.00", "PLN")}
	// The disk fails before the write: the checkpoint the commit kicks
	// off, or the one run here, whichever copies its frames first, fails.
	failSync.Store(true)
	if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); s.w.cp.failure() == nil; {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint met the failing disk")
		}
		s.w.cp.checkpoint()
		time.Sleep(time.Millisecond)
	}
	failSync.Store(false)
	if s.w.cp.checkpoint() {
		t.Error("a checkpoint ran again after one failed to flush the database file")
	}
	if err := s.Ready(ctx); !errors.Is(err, getpaid.ErrUnavailable) || !errors.Is(err, getpaid.ErrDiskFailed) {
		t.Errorf("Ready after a failed checkpoint flush: %v, want ErrUnavailable and ErrDiskFailed (for /readyz to say the disk failed, not \"unreachable\")", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Errorf("the WAL after Close: %v, %v; want it left for recovery at the next open", fi, err)
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.Payment(ctx, p.ID); err != nil {
		t.Errorf("the payment after reopening: %v", err)
	}
}
