package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// A listener that panics neither fails the request nor loses the event: the
// event is delivered again on the retry schedule, the same event, once more,
// and the first attempt's panic is kept for operators.
func TestPanickingListenerIsRedelivered(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		calls []string // status event ids, in the order the listener saw them
	)
	reg, _ := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: &fakeBroker{}})
	e, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay",
		RetrySchedule: []time.Duration{10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.OnEventNamed("shop", func(ctx context.Context, ev getpaid.Event) error {
		if ev.Type != getpaid.EventStatusChanged {
			return nil
		}
		mu.Lock()
		calls = append(calls, ev.ID)
		first := len(calls) == 1
		mu.Unlock()
		if first {
			panic("listener bug")
		}
		return nil
	})
	p := create(t, e) // new -> prepared: the listener panics
	if p.Status != getpaid.StatusPrepared {
		t.Fatalf("a panicking listener failed the payment: %s", p.Status)
	}
	ctx := context.Background()
	var d *getpaid.Delivery
	waitFor(t, "the redelivery", func() bool {
		page, err := e.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, Consumer: "listener:shop", State: getpaid.DeliveryDelivered})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.Deliveries {
			if strings.HasPrefix(x.EventID, "evt_pay_") {
				d = x
			}
		}
		return d != nil
	})
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 2 || calls[0] != calls[1] || calls[0] != d.EventID {
		t.Fatalf("listener saw %v, want the same status event twice", calls)
	}
	atts, err := e.Attempts(ctx, d.ID)
	if err != nil || len(atts) != 2 || !strings.Contains(atts[0].Error, "panicked") || atts[1].Error != "" {
		t.Fatalf("attempts %+v, %v", atts, err)
	}
}

// Consumers are known by name (their deliveries are keyed by it): two of one
// name would make every event's write collide, so every payment change
// would fail. engine.New refuses them; adding one later panics, as
// http.ServeMux does with a pattern registered twice.
func TestConsumerNamesAreUnique(t *testing.T) {
	t.Parallel()
	reg, _ := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: &fakeBroker{}})
	nop := func(context.Context, getpaid.Event) error { return nil }
	_, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay",
		Consumers: []engine.Consumer{engine.ListenerConsumer("erp", nop), engine.ListenerConsumer("erp", nop)}})
	if err == nil || !strings.Contains(err.Error(), `"listener:erp"`) {
		t.Fatalf("two consumers called listener:erp: %v, want an error naming it", err)
	}
	e := newEngine(t, &fakeBroker{}, memory.New())
	e.OnEventNamed("shop", nop)
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `"listener:shop"`) {
				t.Errorf("a second listener called shop: recovered %v, want a panic naming it", r)
			}
		}()
		e.OnEventNamed("shop", nop)
	}()
	create(t, e) // the first listener's deliveries still work
}

// A replay to a consumer the engine does not deliver to is refused naming
// the ones it does, or saying there are none.
func TestReplayToAnUnknownConsumer(t *testing.T) {
	t.Parallel()
	nop := func(context.Context, getpaid.Event) error { return nil }
	tests := []struct {
		name  string
		names []string // listeners added
		want  string
	}{
		{"none", nil, `events are not delivered to "webhook:https://typo.example/hook": getpaid delivers events to no webhook endpoint or listener`},
		{"two", []string{"erp", "crm"}, `events are not delivered to "webhook:https://typo.example/hook" (they are to: listener:erp, listener:crm)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, &fakeBroker{}, memory.New())
			for _, n := range tt.names {
				e.OnEventNamed(n, nop)
			}
			_, err := e.Replay(context.Background(), getpaid.ReplayRequest{DeadOnly: true, Consumer: "webhook:https://typo.example/hook"})
			var fe *getpaid.FieldError
			if !errors.As(err, &fe) || fe.Field != "endpoint" || fe.Reason != tt.want {
				t.Fatalf("replay: %v, want a refusal of endpoint saying %q", err, tt.want)
			}
		})
	}
}
