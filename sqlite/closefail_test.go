package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// TestCloseAfterFailedFlushCopiesNothing: after a failed flush of the WAL the
// store runs no more checkpoints (the kernel may have dropped the pages it
// could not write, and a checkpoint copies frames without checking them), and
// closing it must not run one either. SQLite checkpoints the WAL into the
// database file when its last connection closes, unless told not to.
func TestCloseAfterFailedFlushCopiesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "getpaid.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPayment(t, s, "o-close-fsync")
	if !sqlite.SettleCheckpoints(s) {
		t.Fatal("no checkpoint ran before any flush failed")
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sqlite.FailFlush(s, errors.New("EIO"))
	if _, err := s.UpdatePayment(ctx, p.ID, bump); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("write whose flush failed: %v, want ErrUnavailable", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("closing the store after a failed flush copied the WAL into the database file (a checkpoint ran)")
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Errorf("the WAL after Close: %v, %v; want it left for recovery at the next open", fi, err)
	}
	// The next open recovers from the WAL it left.
	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if q, err := s.Payment(ctx, p.ID); err != nil || q.Version < p.Version {
		t.Errorf("after reopening: %v, %v; want the payment at version %d or later", q, err, p.Version)
	}
	if _, err := s.UpdatePayment(ctx, p.ID, bump); err != nil {
		t.Errorf("a write after reopening: %v", err)
	}
}

// TestReadyAfterAFailedWALWrite: once a write of the WAL failed (a full
// disk), the writer's connection refuses every write until the database is
// opened again, even after space was freed; the store must then say it is
// not ready, as it does after a failed flush, or a balancer keeps sending
// it payments it answers 503.
func TestReadyAfterAFailedWALWrite(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t, "")
	ctx := context.Background()
	p := newTestPayment(t, s, "o-wal-write")
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready before: %v", err)
	}
	sqlite.BreakWAL(s, errors.New("no space left on device"))
	if _, err := s.UpdatePayment(ctx, p.ID, bump); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("write after the WAL broke: %v, want ErrUnavailable", err)
	}
	if err := s.Ready(ctx); !errors.Is(err, getpaid.ErrUnavailable) || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("Ready after a failed WAL write: %v, want ErrUnavailable naming the write error", err)
	}
}

// TestCloseTwiceAfterFailedFlush: Close may be called again, and answers
// nil again, after a failed flush too.
func TestCloseTwiceAfterFailedFlush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "getpaid.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPayment(t, s, "o-close-twice")
	sqlite.FailFlush(s, errors.New("EIO"))
	if _, err := s.UpdatePayment(ctx, p.ID, bump); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("write whose flush failed: %v, want ErrUnavailable", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestWritesAfterABrokenWALSayWhy: once a write of the WAL failed (a full
// disk), every write is refused as the store unavailable, saying what
// failed: the log is where an operator learns that the disk is full. Each
// write's batch met only SQLite's echo of it ("disk I/O error" at the
// first commit, then "SQL logic error: no such savepoint: job" for every
// later write, SQLite having rolled the transaction back), which reads as
// a bug of getpaid's and never names the disk.
func TestWritesAfterABrokenWALSayWhy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "getpaid.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := newTestPayment(t, s, "o-wal-why")
	sqlite.BreakWAL(s, errors.New("write getpaid.db-wal: no space left on device"))
	for _, tc := range []struct {
		name  string
		write func() error
	}{
		{"the first write", func() error { _, err := s.UpdatePayment(ctx, p.ID, bump); return err }},
		{"a later write", func() error { _, err := s.UpdatePayment(ctx, p.ID, bump); return err }},
		{"a create", func() error {
			q := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-wal-why-2", Backend: "dummy", Status: getpaid.StatusNew,
				Amount: getpaid.MustParseMoney("10.00", "PLN")}
			_, err := s.CreatePayment(ctx, q, getpaid.CreateOptions{})
			return err
		}},
	} {
		// In order, not in parallel: the first write meets the broken WAL first.
		err := tc.write()
		if !errors.Is(err, getpaid.ErrUnavailable) || !strings.Contains(err.Error(), "no space left on device") {
			t.Errorf("%s: %v, want ErrUnavailable naming the WAL's write error", tc.name, err)
		}
	}
}
