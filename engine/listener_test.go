package engine_test

import (
	"context"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A listener that panics neither fails the request nor loses the event: the
// event stays pending and Redeliver hands the same event to the listener
// again, once, after which it is delivered for good.
func TestPanickingListenerIsRedelivered(t *testing.T) {
	t.Parallel()
	store := memory.New()
	var (
		mu        sync.Mutex
		calls     []string // status event ids, in the order the listener saw them
		delivered = map[string]int{}
	)
	e := newEngine(t, &fakeBroker{}, store, func(ctx context.Context, ev getpaid.Event) error {
		if ev.Type != getpaid.EventStatusChanged {
			return nil
		}
		mu.Lock()
		calls = append(calls, ev.ID)
		first := len(calls) == 1
		mu.Unlock()
		if first {
			panic("listener bug")
		}
		mu.Lock()
		delivered[ev.ID]++
		mu.Unlock()
		return nil
	})
	p := create(t, e) // new -> prepared: the listener panics
	if p.Status != getpaid.StatusPrepared {
		t.Fatalf("a panicking listener failed the payment: %s", p.Status)
	}
	mu.Lock()
	panicked := calls[0]
	mu.Unlock()
	pending, err := store.PendingEvents(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if !containsEvent(pending, panicked) {
		t.Fatalf("the event the listener panicked on (%s) is not pending: %+v", panicked, pending)
	}
	n, err := e.Redeliver(context.Background(), 0)
	if err != nil || n == 0 {
		t.Fatalf("redeliver: n=%d err=%v", n, err)
	}
	mu.Lock()
	got := delivered[panicked]
	mu.Unlock()
	if got != 1 {
		t.Fatalf("the event the listener panicked on was delivered %d times after Redeliver, want 1 (calls %v)", got, calls)
	}
	pending, err = store.PendingEvents(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if containsEvent(pending, panicked) {
		t.Fatalf("event %s still pending after a successful redelivery", panicked)
	}
	if n, err := e.Redeliver(context.Background(), 0); err != nil || n != 0 {
		t.Fatalf("a delivered event was redelivered: n=%d err=%v", n, err)
	}
}

func containsEvent(evs []getpaid.Event, id string) bool {
	for _, ev := range evs {
		if ev.ID == id {
			return true
		}
	}
	return false
}
