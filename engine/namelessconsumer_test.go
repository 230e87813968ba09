package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// nameConsumer is a consumer of the shop's own, called what it holds.
type nameConsumer string

func (c nameConsumer) Name() string                                      { return string(c) }
func (nameConsumer) Deliver(context.Context, getpaid.Event) (int, error) { return 0, nil }

// A consumer with no name (a Consumer of the shop's own whose Name is "",
// or ListenerConsumer("", l)) is refused as OnEventNamed("", l) is: engine.New
// answers an error, AddConsumer panics. It was taken: its deliveries were
// keyed by "" (or "listener:"), which the delivery filters, Replay and
// Discard read as "every consumer" or refuse, so they could not be listed,
// replayed or discarded on their own.
func TestNamelessConsumerRefused(t *testing.T) {
	t.Parallel()
	nop := func(context.Context, getpaid.Event) error { return nil }
	nameless := map[string]engine.Consumer{
		"empty Name":              nameConsumer(""),
		`ListenerConsumer("", l)`: engine.ListenerConsumer("", nop),
	}
	newEngine := func(t *testing.T, cfg engine.Config) (*engine.Engine, error) {
		reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: &fakeBroker{}})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Store, cfg.Registry, cfg.BaseURL, cfg.NoDelivery = memory.New(), reg, "https://shop.example/pay", true
		e, err := engine.New(cfg)
		if e != nil {
			t.Cleanup(func() { _ = e.Close() })
		}
		return e, err
	}
	for name, c := range nameless {
		if _, err := newEngine(t, engine.Config{Consumers: []engine.Consumer{c}}); err == nil || !strings.Contains(err.Error(), "no name") {
			t.Errorf("engine.New with a consumer of %s: %v, want an error saying it has no name", name, err)
		}
	}
	e, err := newEngine(t, engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range nameless {
		if got := panicOf(func() { e.AddConsumer(c) }); !strings.HasPrefix(got, "engine: ") || !strings.Contains(got, "no name") {
			t.Errorf("AddConsumer of %s panicked with %q, want an engine: message saying it has no name", name, got)
		}
	}
	if got := panicOf(func() { e.OnEventNamed("", nop) }); !strings.HasPrefix(got, "engine: ") {
		t.Errorf(`OnEventNamed("", l) panicked with %q`, got)
	}
	e.AddConsumer(nameConsumer("shop")) // a named one still is taken
}
