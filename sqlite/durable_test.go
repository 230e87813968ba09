package sqlite_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// A change is seen by readers as soon as it commits, up to one flush of the
// WAL before it is durable (its writer is answered after the flush).
// WaitDurable, called once the change is seen, returns only after that
// flush: an answer a broker gets from what was read (a repeated
// notification) is never about a change a power loss could take back.
func TestWaitDurableWaitsForWhatWasSeen(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t, "")
	ctx := context.Background()
	p := newTestPayment(t, s, "o-durable")
	sqlite.SlowFlush(s, 300*time.Millisecond)
	var answered atomic.Bool
	go func() {
		if _, err := s.UpdatePayment(ctx, p.ID, bump); err != nil {
			t.Error(err)
		}
		answered.Store(true)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		q, err := s.Payment(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if q.Locked == 1 {
			break // seen, before its flush is over
		}
		if time.Now().After(deadline) {
			t.Fatal("the change was never seen")
		}
		time.Sleep(time.Millisecond)
	}
	if answered.Load() {
		t.Skip("the write was answered before its change was seen: the flush was not slowed enough to test")
	}
	var dw getpaid.DurableWaiter = s
	if err := dw.WaitDurable(ctx); err != nil {
		t.Fatal(err)
	}
	if !answered.Load() {
		t.Fatal("WaitDurable returned before the flush that makes the change it followed durable")
	}
}
