package engine_test

import (
	"context"
	"slices"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// OnEvent names a listener by its place among the unnamed listeners
// (Config.Listeners, then OnEvent), so its name, which keys its deliveries
// across restarts, does not move when a webhook endpoint or a named listener
// is added or removed beside it: events pending for "listener:1" would be
// left behind if it became "listener:2".
func TestUnnamedListenerKeepsItsPlace(t *testing.T) {
	t.Parallel()
	nop := func(context.Context, getpaid.Event) error { return nil }
	hook := engine.ListenerConsumer("erp", nop) // stands for a webhook endpoint
	cases := []struct {
		name      string
		listeners []engine.Listener
		consumers []engine.Consumer
		named     []string // added with OnEventNamed before the OnEvent calls
		onEvent   int
		want      []string
	}{
		{"alone", nil, nil, nil, 2, []string{"listener:1", "listener:2"}},
		{"beside a consumer", nil, []engine.Consumer{hook}, nil, 1, []string{"listener:erp", "listener:1"}},
		{"after a named listener", nil, nil, []string{"orders"}, 2, []string{"listener:orders", "listener:1", "listener:2"}},
		{"after config listeners and a consumer", []engine.Listener{nop}, []engine.Consumer{hook}, []string{"orders"}, 1,
			[]string{"listener:1", "listener:erp", "listener:orders", "listener:2"}},
	}
	for _, c := range cases {
		reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: &fakeBroker{}})
		if err != nil {
			t.Fatal(err)
		}
		e, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay",
			Listeners: c.listeners, Consumers: c.consumers, NoDelivery: true})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, n := range c.named {
			e.OnEventNamed(n, nop)
		}
		for range c.onEvent {
			e.OnEvent(nop)
		}
		p := create(t, e)
		page, err := e.Deliveries(context.Background(), getpaid.DeliveryFilter{PaymentID: p.ID, EventID: "evt_created_" + p.ID})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, d := range page.Deliveries {
			got = append(got, d.Consumer)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s: deliveries to %v, want %v", c.name, got, want)
		}
		_ = e.Close()
	}
}
