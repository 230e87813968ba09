package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// TestWritesStopWhenTheFileIsGone: a database file removed while the store
// has it open (its directory deleted, or a backup moved over it) keeps
// taking writes on Linux: SQLite writes to the files it has open, which no
// name reaches any more, and everything answered after that is gone at the
// next start (getpaid serve answered 431 creates 201 and 367 callbacks 200
// in the 0.4 s after an rm -rf of its data directory, while /readyz said
// 503). The store must notice and refuse writes, as after a failed flush.
func TestWritesStopWhenTheFileIsGone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		gone func(t *testing.T, path string)
	}{
		{"directory removed", func(t *testing.T, path string) {
			// The store may create a file in it while RemoveAll runs
			// ("directory not empty"), as it may under an rm -rf: removed
			// again until it is gone.
			var err error
			for range 20 {
				if err = os.RemoveAll(filepath.Dir(path)); err == nil {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Fatal(err)
		}},
		{"file replaced by a copy", func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+".restored", b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(path+".restored", path); err != nil {
				t.Fatal(err)
			}
		}},
		{"database file removed", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
		{"WAL removed", func(t *testing.T, path string) {
			if err := os.Remove(path + "-wal"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "data", "getpaid.db")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			s, err := sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			p := newTestPayment(t, s, "o-gone")
			tc.gone(t, path)
			deadline := time.Now().Add(5 * time.Second)
			for {
				_, err := s.UpdatePayment(ctx, p.ID, bump)
				if errors.Is(err, getpaid.ErrUnavailable) {
					break
				}
				if err != nil {
					t.Fatalf("write after the file went: %v, want ErrUnavailable", err)
				}
				if time.Now().After(deadline) {
					t.Fatal("writes still answered done 5 s after the database file went")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := s.Ready(ctx); !errors.Is(err, getpaid.ErrUnavailable) {
				t.Errorf("Ready after the file went: %v, want ErrUnavailable", err)
			}
			if _, err := s.UpdatePayment(ctx, p.ID, bump); !errors.Is(err, getpaid.ErrUnavailable) {
				t.Errorf("a later write: %v, want ErrUnavailable (for good)", err)
			}
		})
	}
}
