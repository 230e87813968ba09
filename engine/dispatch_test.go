package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// slowRecord is a store whose first FinishDeliveries waits until release is
// closed (the database away while results are recorded).
type slowRecord struct {
	getpaid.Store
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (s *slowRecord) FinishDeliveries(ctx context.Context, rs []getpaid.DeliveryResult) error {
	first := false
	s.once.Do(func() { first = true })
	if first {
		close(s.entered)
		<-s.release
	}
	return s.Store.FinishDeliveries(context.WithoutCancel(ctx), rs)
}

// A delivery whose result is slow to be recorded, its lease running out
// meanwhile, is claimed again by its own process: that claim does not start
// it a second time (the consumer would get the event twice).
func TestSlowRecordingDeliversOnce(t *testing.T) {
	t.Parallel()
	st := &slowRecord{Store: memory.New(), entered: make(chan struct{}), release: make(chan struct{})}
	now := &clock{}
	reg, _ := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: &fakeBroker{}})
	e, err := engine.New(engine.Config{Store: st, Registry: reg, BaseURL: "https://shop.example/pay", Now: now.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	defer close(st.release)
	var (
		mu   sync.Mutex
		seen = map[string]map[string]int{} // payment id -> event id -> calls
	)
	e.OnEventNamed("shop", func(ctx context.Context, ev getpaid.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if seen[ev.PaymentID] == nil {
			seen[ev.PaymentID] = map[string]int{}
		}
		seen[ev.PaymentID][ev.ID]++
		return nil
	})
	calls := func(paymentID string) (events, most int) {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range seen[paymentID] {
			events, most = events+1, max(most, n)
		}
		return events, most
	}
	ctx := context.Background()
	first, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-slow-1", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	<-st.entered // its events delivered, their results not yet recorded
	n1, _ := calls(first.ID)
	if n1 == 0 {
		t.Fatal("results recorded before any event of the payment was delivered")
	}
	now.Advance(time.Minute) // past every lease
	second, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-slow-2", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	// The claim that takes the second payment's events gets the first's
	// again too (their leases ran out, their results unrecorded).
	waitFor(t, "the second payment's events", func() bool { n, _ := calls(second.ID); return n >= n1 })
	if n, most := calls(first.ID); n != n1 || most != 1 {
		t.Fatalf("the first payment's %d events: %d seen, one seen %d times; want each once", n1, n, most)
	}
}
