package sqlite

import (
	"os"
	"path/filepath"
	"testing"
	"time"
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
			s.send(batch)
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
