package engine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// Two engines on one store (a shop's web process and a back-office tool):
// an event goes to the listeners of the engine that wrote it, as the README
// and AddConsumer say. A tool that adds none leaves the server's listener
// unaware of what it changed; one that adds the same named listener with
// NoDelivery has the server's engine deliver it.
func TestEventsGoToTheListenersOfTheWritingEngine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		toolAdds bool
		want     int64
	}{
		{"tool without the listener", false, 0},
		{"tool with the listener and NoDelivery", true, 2}, // payment.created, new -> prepared
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := memory.New()
			var heard atomic.Int64
			server := newEngineConfig(t, &fakeBroker{}, engine.Config{Store: store})
			server.OnEventNamed("orders", func(context.Context, getpaid.Event) error { heard.Add(1); return nil })
			tool := newEngineConfig(t, &fakeBroker{}, engine.Config{Store: store, NoDelivery: true})
			if tc.toolAdds {
				tool.OnEventNamed("orders", func(context.Context, getpaid.Event) error {
					t.Error("the NoDelivery engine delivered")
					return nil
				})
			}
			create(t, tool)
			deadline := time.Now().Add(3 * time.Second) // the server claims others' deliveries every second
			for heard.Load() < tc.want && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			if got := heard.Load(); got != tc.want {
				t.Fatalf("the server's listener heard %d events of the tool's payment, want %d", got, tc.want)
			}
		})
	}
}
