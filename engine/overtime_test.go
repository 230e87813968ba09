package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// A consumer call that outlived its attempt's deadline holds its place in
// flight until it returns; when it does, the deliveries that waited for
// that place start at once, not at the claim loop's next tick (up to a
// second later). Three rounds, so that a tick falling just right by chance
// does not pass for the wake-up.
func TestOvertimeCallFreesItsPlaceAtOnce(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		release = map[string]chan struct{}{}
		arrived = map[string]time.Time{}
	)
	stuck := func(order string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if release[order] == nil {
			release[order] = make(chan struct{})
		}
		return release[order]
	}
	e := newEngineConfig(t, &fakeBroker{}, engine.Config{Store: memory.New(), DeliveryTimeout: 200 * time.Millisecond, DeliveriesInFlight: 1,
		Listeners: []engine.Listener{func(ctx context.Context, ev getpaid.Event) error {
			mu.Lock()
			if _, seen := arrived[ev.OrderID]; !seen {
				arrived[ev.OrderID] = time.Now()
			}
			mu.Unlock()
			if strings.HasPrefix(ev.OrderID, "stuck") {
				<-stuck(ev.OrderID) // ignoring its deadline
			}
			return nil
		}}})
	at := func(order string) (time.Time, bool) {
		mu.Lock()
		defer mu.Unlock()
		t, ok := arrived[order]
		return t, ok
	}
	pay := func(order string) {
		if _, err := e.Pay(context.Background(), getpaid.PayRequest{OrderID: order, Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")}); err != nil {
			t.Fatal(err)
		}
	}
	for _, round := range []string{"1", "2", "3"} {
		pay("stuck" + round)
		waitFor(t, "the stuck call", func() bool { _, ok := at("stuck" + round); return ok })
		pay("next" + round)
		time.Sleep(400 * time.Millisecond) // past the deadline: the attempt timed out, the call goes on
		if _, ok := at("next" + round); ok {
			t.Fatalf("round %s: the next delivery started while the stuck call held the one place", round)
		}
		freed := time.Now()
		close(stuck("stuck" + round))
		waitFor(t, "the next delivery", func() bool { _, ok := at("next" + round); return ok })
		if got, _ := at("next" + round); got.Sub(freed) > 300*time.Millisecond {
			t.Fatalf("round %s: the next delivery started %s after the stuck call returned; want at once", round, got.Sub(freed).Round(time.Millisecond))
		}
	}
}
