package engine_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// A listener added after the engine wrote events (a shop that starts Run,
// or serves, before it registers its listener) never gets those events:
// had one been "paid", found by Run's polling at start, the order would
// never be marked paid. The engine cannot deliver them, but it says so in
// the log, naming the listener and what to do. Before, nothing was said. A
// listener added before any event was written is not warned about.
func TestLateListenerIsWarnedAbout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		late bool
	}{{"added before any event", false}, {"added after events were written", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logs := &lockedBuffer{}
			reg, _ := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: &fakeBroker{}})
			e, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay",
				Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			listen := func(context.Context, getpaid.Event) error { return nil }
			if !tc.late {
				e.OnEventNamed("orders", listen)
			}
			create(t, e)
			if tc.late {
				e.OnEventNamed("orders", listen)
			}
			warned := strings.Contains(logs.String(), "after this engine wrote events") && strings.Contains(logs.String(), "listener:orders")
			if warned != tc.late {
				t.Errorf("warned %v, want %v; log:\n%s", warned, tc.late, logs)
			}
		})
	}
}
