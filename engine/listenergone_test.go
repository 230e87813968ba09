package engine_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// goneError is a listener's error saying it wants no more events.
type goneError struct{}

func (goneError) Error() string { return "not for me" }
func (goneError) Gone() bool    { return true }

// A listener's error with Gone() true does not only end that event's
// delivery (the README's library section said "makes it dead at once"): it
// pauses the listener, so its other payments' events wait for GonePause.
// A shop returning such an error to skip one event stopped hearing of its
// orders for an hour; the Listener doc said only that an error is retried.
// It now says what Gone does, and this test holds both to the code.
func TestListenerGoneErrorPausesTheListener(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	e := newEngine(t, &fakeBroker{}, memory.New(), func(ctx context.Context, ev getpaid.Event) error {
		calls.Add(1)
		if ev.OrderID == "o1" {
			return goneError{}
		}
		return nil
	})
	ctx := context.Background()
	if _, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o1", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the listener paused", func() bool { return len(e.Paused()) == 1 })
	if p := e.Paused()[0]; !p.Gone || p.Until.Before(time.Now().Add(engine.GonePause-time.Minute)) {
		t.Fatalf("paused = %+v; want gone, for GonePause", p)
	}
	if _, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o2", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Fatalf("the paused listener was called %d times; want once", n)
	}
	doc := methodDoc(t, "Listener")
	for _, want := range []string{"Gone", "GonePause"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the Listener doc does not say what an error's %s does:\n%s", want, doc)
		}
	}
}
