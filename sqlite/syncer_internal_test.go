package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// TestSyncerSpacesFlushesOfSeveralWrites pins when the syncer gives the
// writer its token back: after a flush of several writes, no sooner than
// the gap from that flush's start; after a lone write's flush, or with the
// spacing off, at once. Either way the flushed batch's callers are answered
// right after the flush, not after the gap.
func TestSyncerSpacesFlushesOfSeveralWrites(t *testing.T) {
	t.Parallel()
	const gap = 400 * time.Millisecond
	for _, tc := range []struct {
		name   string
		writes int
		gap    time.Duration
		held   bool
	}{
		{name: "several writes: the next commit waits", writes: 2, gap: gap, held: true},
		{name: "a lone write: the next commit does not wait", writes: 1, gap: gap},
		{name: "spacing off", writes: 3, gap: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wal := filepath.Join(t.TempDir(), "db-wal")
			if err := os.WriteFile(wal, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := newSyncer(wal, tc.gap)
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			flushed := make(chan time.Time, 1)
			s.flush = func(*os.File) error {
				flushed <- time.Now()
				return nil
			}
			<-s.ready // the writer's token, taken to commit
			batch := make([]answer, tc.writes)
			for i := range batch {
				batch[i] = answer{j: &job{done: make(chan result, 1)}, r: result{val: i}}
			}
			s.send(batch, nil)
			began := <-flushed
			for i, a := range batch {
				if r := <-a.j.done; r.val != i || r.err != nil {
					t.Fatalf("write %d answered %v, %v; want %d, nil", i, r.val, r.err, i)
				}
			}
			if late := time.Since(began); late >= gap/2 {
				t.Errorf("callers answered %v after the flush began: they waited for the gap", late)
			}
			<-s.ready
			back := time.Since(began)
			switch {
			case tc.held && back < gap:
				t.Errorf("token back %v after the flush began, want at least %v", back, gap)
			case !tc.held && back >= gap/2:
				t.Errorf("token back %v after the flush began, want at once", back)
			}
			s.ready <- struct{}{}
		})
	}
}

// TestFirstFlushSyncsTheWALDirectory: the first write answered on a Store
// was flushed with the WAL's directory synced before the WAL, so the WAL's
// name is on the disk with it. SQLite creates the WAL at open (after a
// Close deleted it, on every start of a server stopped cleanly) and, under
// synchronous=NORMAL, syncs the WAL (and then its directory) only in a
// checkpoint, after the write was answered: a power loss could take the
// WAL away with every answered commit in it.
func TestFirstFlushSyncsTheWALDirectory(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		reopen bool // closed once before: SQLite deleted the WAL and creates it again
	}{
		{name: "a new database"},
		{name: "reopened after Close", reopen: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir := t.TempDir()
			path := filepath.Join(dir, "g.db")
			create := func(s *Store, order string) {
				t.Helper()
				p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: order, Backend: "dummy", Status: getpaid.StatusNew,
					Amount: getpaid.MustParseMoney("10.00", "PLN")}
				if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.reopen {
				s, err := Open(ctx, path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				create(s, "o-before")
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("the WAL is still there after Close (%v): nothing is created again", err)
				}
			}
			s, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var (
				mu     sync.Mutex
				synced []string
			)
			s.w.sync.flush = func(f *os.File) error {
				mu.Lock()
				synced = append(synced, filepath.Base(f.Name()))
				mu.Unlock()
				return fdatasync(f)
			}
			create(s, "o-1")
			create(s, "o-2")
			mu.Lock()
			defer mu.Unlock()
			want := []string{filepath.Base(dir), "g.db-wal", "g.db-wal"}
			if !slices.Equal(synced, want) {
				t.Fatalf("synced %q before the writes were answered, want %q (the WAL's directory first, once)", synced, want)
			}
		})
	}
}
