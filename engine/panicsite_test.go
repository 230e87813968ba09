package engine_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// panicking is a merchant's own consumer (a queue publisher, say) with a bug.
type panicking struct{}

func (panicking) Name() string { return "queue" }
func (panicking) Deliver(context.Context, getpaid.Event) (int, error) {
	var seen map[string]bool
	//lint:ignore SA5000 the bug this consumer has on purpose: its panic is what the test reads
	seen["x"] = true // assignment to entry in nil map
	return 0, nil
}

// A listener or consumer that panics has its delivery retried, and the
// attempt's error (what the log and the console show) says what the panic
// was and where it came from, so the merchant can find the bug. Before, a
// consumer's panic was recorded as "consumer panicked" with neither, and a
// listener's named the value but no place. A listener that ends without
// returning (runtime.Goexit) is a failed attempt too.
func TestPanicSaysWhatAndWhere(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		add      func(*engine.Engine)
		consumer string
		want     []string
	}{
		{"listener", func(e *engine.Engine) {
			e.OnEventNamed("shop", func(context.Context, getpaid.Event) error {
				var orders []string
				_ = orders[3] // index out of range
				return nil
			})
		}, "listener:shop", []string{"listener:shop panicked", "index out of range", "panicsite_test.go:"}},
		{"consumer", func(e *engine.Engine) { e.AddConsumer(panicking{}) },
			"queue", []string{"queue panicked", "assignment to entry in nil map", "panicking.Deliver", "panicsite_test.go:"}},
		// A listener that ends its goroutine without returning
		// (runtime.Goexit: t.FailNow or t.Fatal called inside it by a
		// shop's test) has not handled the event either. Its delivery was
		// recorded as delivered, as if it had returned nil: the order was
		// never marked paid and the event never sent again.
		{"listener that calls runtime.Goexit", func(e *engine.Engine) {
			e.OnEventNamed("shop", func(context.Context, getpaid.Event) error {
				runtime.Goexit()
				return nil
			})
		}, "listener:shop", []string{"listener:shop ended its goroutine without returning"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg, _ := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: &fakeBroker{}})
			e, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay",
				RetrySchedule: []time.Duration{time.Hour}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			tc.add(e)
			p := create(t, e)
			ctx := context.Background()
			var d *getpaid.Delivery
			waitFor(t, "a failed attempt", func() bool {
				page, err := e.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, Consumer: tc.consumer})
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range page.Deliveries {
					if x.LastError != "" {
						d = x
					}
				}
				return d != nil
			})
			if d.State != getpaid.DeliveryPending {
				t.Errorf("after the failed attempt the delivery is %s, want pending (retried)", d.State)
			}
			for _, w := range tc.want {
				if !strings.Contains(d.LastError, w) {
					t.Errorf("the failure is recorded as %q, which does not say %q", d.LastError, w)
				}
			}
		})
	}
}
