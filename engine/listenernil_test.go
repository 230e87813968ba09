package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// A nil listener or consumer, or a listener with no name, is a mistake in
// the shop's wiring. It was taken: every event then got a delivery that
// failed (a nil function called, a panic recovered) on the retry schedule
// for about three days before it died, or went to a consumer called
// "listener:". It is refused where it is added: engine.New answers an
// error, OnEvent, OnEventNamed and AddConsumer panic, as net/http's
// Handle does for a nil handler.
func TestNilOrNamelessListenerRefused(t *testing.T) {
	t.Parallel()
	nop := func(context.Context, getpaid.Event) error { return nil }
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
	t.Run("config", func(t *testing.T) {
		t.Parallel()
		for name, cfg := range map[string]engine.Config{
			"nil listener": {Listeners: []engine.Listener{nop, nil}},
			"nil consumer": {Consumers: []engine.Consumer{nil}},
			// A constructor's nil result passed on (ep, _ := webhook.New(bad)):
			// the interface holds a nil pointer.
			"nil pointer consumer": {Consumers: []engine.Consumer{(*pointerConsumer)(nil)}},
		} {
			if _, err := newEngine(t, cfg); err == nil || !strings.Contains(err.Error(), "nil") {
				t.Errorf("%s: engine.New error %v, want one saying it is nil", name, err)
			}
		}
	})
	t.Run("added", func(t *testing.T) {
		t.Parallel()
		e, err := newEngine(t, engine.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for name, add := range map[string]func(){
			"OnEvent(nil)":              func() { e.OnEvent(nil) },
			`OnEventNamed("x", nil)`:    func() { e.OnEventNamed("x", nil) },
			`OnEventNamed("", nop)`:     func() { e.OnEventNamed("", nop) },
			"AddConsumer(nil)":          func() { e.AddConsumer(nil) },
			"AddConsumer(nil listener)": func() { e.AddConsumer(engine.ListenerConsumer("y", nil)) },
			"AddConsumer(nil pointer)":  func() { e.AddConsumer((*pointerConsumer)(nil)) },
		} {
			if got := panicOf(add); got == "" {
				t.Errorf("%s was taken", name)
			} else if !strings.HasPrefix(got, "engine: ") {
				t.Errorf("%s panicked with %q, want an engine: message", name, got)
			}
		}
		// None of them was added: a valid listener of each name still is.
		e.OnEventNamed("x", nop)
		e.OnEventNamed("y", nop)
	})
}

func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// pointerConsumer is a consumer whose methods need its value, as
// *webhook.Endpoint's do.
type pointerConsumer struct{ name string }

func (c *pointerConsumer) Name() string { return "test:" + c.name }

func (c *pointerConsumer) Deliver(context.Context, getpaid.Event) (int, error) { return 0, nil }
