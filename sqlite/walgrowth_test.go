package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// Under a stream of writes the WAL stays about the size it is let grow to:
// SQLite starts it again from the top only when a write transaction begins
// with all of it copied into the database, which the checkpointer beside
// the writer never finished in time, and the file grew without end (461 MB
// in 24 s of a saturated server, and it stayed that size after the load).
func TestWALBoundedUnderAStreamOfWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "g.db")
	s := open(t, path, sqlite.Options{})
	const limit = 512 << 10
	sqlite.SetWALRestartSize(s, limit)
	ctx := context.Background()
	var (
		wg      sync.WaitGroup
		stop    atomic.Bool
		largest atomic.Int64
		n       atomic.Int64
	)
	for g := range 16 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				p := newPaymentValue(fmt.Sprintf("o-wal-%d-%d", g, i))
				if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
					t.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && !t.Failed() {
		if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > largest.Load() {
			largest.Store(fi.Size())
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	// The limit, a batch's frames beyond it, and what was written while
	// the checkpointer (on a machine busy with other tests) held the
	// checkpoint lock the writer's own copy needs: far less than 32 times
	// the limit (without the bound, the WAL passed 400 MB in these 3 s).
	if got := largest.Load(); got > 32*limit {
		t.Fatalf("the WAL reached %d KiB after %d payments, with a restart size of %d KiB", got>>10, n.Load(), limit>>10)
	}
	t.Logf("the WAL reached %d KiB over %d payments", largest.Load()>>10, n.Load())
}
