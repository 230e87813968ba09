package sqlite

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSoloWithoutFallocate: a file system without fallocate(2) (NFSv3,
// many FUSE file systems, ZFS on Linux before 2.0) answers EOPNOTSUPP; the
// marker is then grown another way, and two Stores still see each other,
// where Open used to fail ("size the process marker: operation not
// supported") on a file SQLite itself can use.
func TestSoloWithoutFallocate(t *testing.T) {
	t.Parallel()
	noFallocate := func(int, uint32, int64, int64) error { return syscall.EOPNOTSUPP }
	for _, name := range []string{"new marker", "marker of an older getpaid"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := filepath.Join(t.TempDir(), "getpaid.db")
			if name != "new marker" {
				// Versions before the counter appended a byte per open.
				if err := os.WriteFile(db+"-getpaid", []byte(".."), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			a, err := newSoloWith(db, noFallocate)
			if err != nil {
				t.Fatalf("first Store on the file: %v", err)
			}
			defer a.close()
			if !a.alone() {
				t.Error("the first Store on the file is not alone")
			}
			b, err := newSoloWith(db, noFallocate)
			if err != nil {
				t.Fatalf("second Store on the file: %v", err)
			}
			defer b.close()
			if a.alone() || b.alone() {
				t.Errorf("two Stores on one file: alone %v and %v, want false and false", a.alone(), b.alone())
			}
			if b.mine.Load() != a.mine.Load()+1 || b.n.Load() != b.mine.Load() {
				t.Errorf("counter: %d after the first open, %d after the second, %d now; want one more per open", a.mine.Load(), b.mine.Load(), b.n.Load())
			}
		})
	}
}

// A look whether a Store is alone again (again, from a read's cache look)
// may race the Store's Close, which closes the marker: it must not read the
// marker's descriptor while Close releases it (go test -race found
// os.File.Fd racing os.File.Close), nor test the lock of whatever file
// took that descriptor number since. Run it with -race.
func TestSoloAgainRacesClose(t *testing.T) {
	t.Parallel()
	for range 20 {
		db := filepath.Join(t.TempDir(), "getpaid.db")
		a, err := newSolo(db)
		if err != nil {
			t.Fatal(err)
		}
		b, err := newSolo(db)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.close(); err != nil {
			t.Fatal(err)
		}
		stop, done, looking := make(chan struct{}), make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_ = a.again()
				if i == 10 {
					close(looking)
				}
			}
		}()
		<-looking
		if err := a.close(); err != nil {
			t.Error(err)
		}
		close(stop)
		<-done
		if a.again() || a.alone() {
			t.Error("a closed Store is alone again")
		}
	}
}
