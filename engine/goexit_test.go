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

// A listener that ends its goroutine without returning (runtime.Goexit:
// t.FailNow or t.Fatal called inside it by a shop's test, a helper that
// stops its caller) has not handled the event. Its delivery was recorded
// as delivered, as if it had returned nil: the order was never marked paid
// and the event never sent again. It is now a failed attempt, retried,
// whose error says why.
func TestListenerGoexitIsNotDelivered(t *testing.T) {
	t.Parallel()
	reg, _ := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: &fakeBroker{}})
	e, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay",
		RetrySchedule: []time.Duration{time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.OnEventNamed("shop", func(context.Context, getpaid.Event) error {
		runtime.Goexit()
		return nil
	})
	p := create(t, e)
	ctx := context.Background()
	var d *getpaid.Delivery
	waitFor(t, "the first attempt recorded", func() bool {
		page, err := e.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, Consumer: "listener:shop"})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.Deliveries {
			if x.Attempts > 0 {
				d = x
			}
		}
		return d != nil
	})
	if d.State != getpaid.DeliveryPending || !strings.Contains(d.LastError, "without returning") {
		t.Errorf("a listener that called runtime.Goexit: delivery %s, error %q; want pending (retried), saying it did not return", d.State, d.LastError)
	}
}
