package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A listener is called for several payments' events at once, from several
// goroutines: one that keeps state of its own (a counter, a map of paid
// orders) races unless it is safe for concurrent use. The Listener doc and
// the README's step 6 did not say so; only Config.DeliveriesInFlight did.
func TestListenerIsCalledConcurrently(t *testing.T) {
	t.Parallel()
	var running, most atomic.Int32
	release := make(chan struct{})
	e := newEngine(t, &fakeBroker{}, memory.New(), func(ctx context.Context, ev getpaid.Event) error {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	for i := range 3 {
		if _, err := e.Pay(context.Background(), getpaid.PayRequest{OrderID: fmt.Sprint("o", i), Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three payments' events in the listener at once", func() bool { return most.Load() >= 3 })
	close(release)
	doc := methodDoc(t, "Listener")
	if !strings.Contains(doc, "safe for concurrent use") {
		t.Errorf("the Listener doc does not say it must be safe for concurrent use:\n%s", doc)
	}
}
