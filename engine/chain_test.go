package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// A payment's later events, leased with their changes while an earlier one
// is being attempted, wait for it: when that attempt fails they go back to
// the store and come after its retry, in order, each once.
func TestLeasedEventsWaitBehindAFailedAttempt(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []getpaid.Event
	failed := map[string]bool{} // payments whose first attempt failed
	hold := make(chan struct{}) // the created events' first attempts fail once this closes
	e := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: []time.Duration{50 * time.Millisecond, time.Hour}})
	e.eng.OnEventNamed("shop", func(ctx context.Context, ev getpaid.Event) error {
		mu.Lock()
		first := ev.Type == getpaid.EventPaymentCreated && !failed[ev.PaymentID]
		if first {
			failed[ev.PaymentID] = true
		}
		mu.Unlock()
		if first {
			<-hold // the payment's next changes are written meanwhile
			return errors.New("shop database down")
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
		return nil
	})
	var ids []string
	for i := range 5 {
		p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o" + string(rune('a'+i)), Backend: "dummy",
			Amount: getpaid.MustParseMoney("10.00", "PLN"), ReturnURL: "https://shop.example/o"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	close(hold)
	waitFor(t, "every event delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 2*len(ids) // created and prepared of each
	})
	mu.Lock()
	defer mu.Unlock()
	last := map[string]getpaid.EventType{}
	for _, ev := range got {
		want := getpaid.EventPaymentCreated
		if last[ev.PaymentID] != "" {
			want = getpaid.EventStatusChanged
		}
		if ev.Type != want || (last[ev.PaymentID] != "" && last[ev.PaymentID] != getpaid.EventPaymentCreated) {
			t.Fatalf("payment %s: %s after %q; want created, then prepared, each once", ev.PaymentID, ev.Type, last[ev.PaymentID])
		}
		last[ev.PaymentID] = ev.Type
	}
}

// Deliveries leased with their change and still waiting their turn when
// the engine closes go back to the store: the next engine on it sends them
// at once, not when the closed one's lease runs out.
func TestCloseGivesBackQueuedDeliveries(t *testing.T) {
	t.Parallel()
	store := memory.New()
	defer store.Close()
	hang := make(chan struct{})
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: store, DeliveryTimeout: 30 * time.Second})
	e.eng.OnEventNamed("shop", func(ctx context.Context, ev getpaid.Event) error {
		select {
		case <-hang: // until the engine closes
		case <-ctx.Done():
		}
		return errors.New("shop database down")
	})
	p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "dummy",
		Amount: getpaid.MustParseMoney("10.00", "PLN"), ReturnURL: "https://shop.example/o"})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { _ = e.eng.Close(); close(closed) }()
	time.Sleep(20 * time.Millisecond)
	close(hang)
	<-closed
	// The created event's attempt failed (due for its retry later); the
	// prepared one behind it was never attempted and is free now.
	page, err := store.Deliveries(context.Background(), getpaid.DeliveryFilter{PaymentID: p.ID})
	if err != nil || len(page.Deliveries) != 2 {
		t.Fatalf("Deliveries = %+v, %v", page, err)
	}
	prepared := page.Deliveries[0] // newest first
	if prepared.Attempts != 0 || prepared.State != getpaid.DeliveryPending {
		t.Fatalf("the queued delivery: %+v, want pending, never attempted", prepared)
	}
	// Were it still leased to the closed engine (for its 35 s), no one
	// would get it before then; once the created event's retry (5 s) is
	// delivered, the next owner gets it.
	at := time.Now().Add(10 * time.Second)
	claim := func() []getpaid.ClaimedDelivery {
		t.Helper()
		got, err := store.ClaimDeliveries(context.Background(), getpaid.ClaimRequest{Owner: "next", Now: at, Lease: time.Minute, Consumers: []string{"listener:shop"}})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := claim()
	if len(first) != 1 || first[0].Event.Type != getpaid.EventPaymentCreated {
		t.Fatalf("claimed %+v, want the created event's retry", first)
	}
	if err := store.FinishDeliveries(context.Background(), []getpaid.DeliveryResult{{ID: first[0].Delivery.ID, Owner: "next", Delivered: true, Attempt: getpaid.Attempt{At: at}}}); err != nil {
		t.Fatal(err)
	}
	if next := claim(); len(next) != 1 || next[0].Delivery.ID != prepared.ID {
		t.Fatalf("claimed %+v, want the delivery the closed engine gave back", next)
	}
}
