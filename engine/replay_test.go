package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A replay that names no consumer makes due again only the deliveries of
// the consumers events are delivered to now. Those of an endpoint since
// removed from the config stay dead: made pending, nobody would ever send
// them, and they would count as pending for ever (the outbox backlog, its
// oldest-pending alert), gone from the dead letters. A replay naming such an
// endpoint is refused already.
func TestReplayLeavesRemovedConsumersDead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  func(eventID string) getpaid.ReplayRequest
	}{
		{"dead", func(string) getpaid.ReplayRequest { return getpaid.ReplayRequest{DeadOnly: true} }},
		{"one event", func(id string) getpaid.ReplayRequest { return getpaid.ReplayRequest{EventID: id} }},
		{"one event's dead", func(id string) getpaid.ReplayRequest { return getpaid.ReplayRequest{EventID: id, DeadOnly: true} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// After a restart without "old": only "shop" is replayed.
			r, after, p := withoutOld(t)
			r.fail.Store(0)
			ctx := context.Background()
			n, err := after.eng.Replay(ctx, tc.req("evt_created_"+p.ID))
			if err != nil || n != 1 {
				t.Fatalf("replay: %d, %v; want 1 (shop's)", n, err)
			}
			page, err := after.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, Consumer: "listener:old"})
			if err != nil || len(page.Deliveries) != 1 {
				t.Fatalf("old's deliveries: %v, %v", page, err)
			}
			if d := page.Deliveries[0]; d.State != getpaid.DeliveryDead {
				t.Errorf("the delivery to a consumer no longer configured is %s after the replay, want still dead", d.State)
			}
			waitFor(t, "shop's delivery", func() bool {
				page, _ := after.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, Consumer: "listener:shop", State: getpaid.DeliveryDelivered})
				return len(page.Deliveries) == 1
			})
		})
	}
}

// With no consumer at all (a config whose webhooks: the server has from its
// environment, not from the file the tool reads), a replay is refused with
// the reason, not answered "0 replayed" as if there were no dead delivery.
func TestReplayWithoutConsumersRefused(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	for _, req := range []getpaid.ReplayRequest{{DeadOnly: true}, {EventID: "evt_x"}, {Waiting: true}} {
		if n, err := e.eng.Replay(context.Background(), req); !errors.Is(err, getpaid.ErrInvalidRequest) {
			t.Errorf("Replay(%+v) with no consumer: %d, %v; want ErrInvalidRequest", req, n, err)
		}
	}
}

// A consumer removed from the configuration leaves its deliveries pending
// (nobody sends them: the backlog's oldest age grows for ever, and its
// alert never clears) or dead (counted until replayed, which no one can
// be). Discard retires them, naming the operator; a consumer events still
// go to is refused, and its deliveries are left alone.
func TestDiscardRemovedConsumer(t *testing.T) {
	t.Parallel()
	_, after, p := withoutOld(t)
	ctx := context.Background()
	if _, err := after.eng.Discard(ctx, "listener:shop", "alice"); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("discarding a consumer events still go to: %v, want refused", err)
	}
	if _, err := after.eng.Discard(ctx, "", "alice"); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("discarding no consumer: %v, want refused", err)
	}
	// A name longer than an operation's resolver may be (engine.MaxName)
	// is refused, as there, and discards nothing.
	if n, err := after.eng.Discard(ctx, "listener:old", strings.Repeat("a", engine.MaxName+1)); !errors.Is(err, getpaid.ErrInvalidRequest) || n != 0 {
		t.Fatalf("discarding with a %d-character name: %d, %v; want refused", engine.MaxName+1, n, err)
	}
	if n, err := after.eng.Discard(ctx, "listener:old", "   "); !errors.Is(err, getpaid.ErrInvalidRequest) || n != 0 {
		t.Fatalf("discard by blanks alone: %d, %v; want refused (who discarded is kept with every delivery)", n, err)
	}
	if _, err := after.eng.Discard(ctx, "listener:old", "alice\x00\n"); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("discarding by a name with control characters: %v, want refused", err)
	}
	n, err := after.eng.Discard(ctx, "listener:old", "alice")
	if err != nil || n != 1 {
		t.Fatalf("discard: %d, %v; want 1", n, err)
	}
	if n, err := after.eng.Discard(ctx, "listener:old", "alice"); err != nil || n != 0 {
		t.Fatalf("discarding again: %d, %v; want 0 (it had deliveries)", n, err)
	}
	if _, err := after.eng.Discard(ctx, "listener:olt", "alice"); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("discarding a consumer nothing was delivered to (a typo): %v, want refused", err)
	}
	page, _ := after.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, Consumer: "listener:old"})
	if d := page.Deliveries[0]; d.State != getpaid.DeliveryDiscarded || d.LastError != "discarded by alice: no longer in the configuration" {
		t.Fatalf("old's delivery after the discard: %s %q", d.State, d.LastError)
	}
	page, _ = after.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, Consumer: "listener:shop"})
	if d := page.Deliveries[0]; d.State != getpaid.DeliveryDead {
		t.Fatalf("shop's delivery was touched: %s", d.State)
	}
}

// withoutOld makes a payment whose events go to listeners "shop" and "old",
// both down until their deliveries die, then restarts on the same store
// with "shop" only (still down: r.fail), as after "old" was removed from
// the configuration.
func withoutOld(t *testing.T) (r *recorder, after *dummyEnv, p *getpaid.Payment) {
	t.Helper()
	r = &recorder{}
	r.fail.Store(1 << 30)
	before := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: fast[:1]})
	before.eng.OnEventNamed("shop", r.listen)
	before.eng.OnEventNamed("old", r.listen)
	ctx := context.Background()
	p, err := before.eng.Create(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both deliveries to die", func() bool {
		page, _ := before.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, State: getpaid.DeliveryDead})
		return len(page.Deliveries) == 2
	})
	_ = before.eng.Close()
	after = newDummyEnv(t, dummy.Config{}, engine.Config{Store: before.store})
	after.eng.OnEventNamed("shop", r.listen)
	return r, after, p
}

// A listing filtered by a consumer events are not delivered to and never
// were (a misspelt endpoint: a trailing slash, http for https) is refused
// with the names events go to. An empty page would read as "no dead
// letters" to the script that asked. A consumer removed from the
// configuration still lists what it was sent, and one configured lists
// even when it has nothing yet.
func TestDeliveriesOfUnknownConsumerRefused(t *testing.T) {
	t.Parallel()
	_, after, _ := withoutOld(t)
	ctx := context.Background()
	for _, tc := range []struct {
		consumer string
		state    getpaid.DeliveryState
		want     int // deliveries listed; -1: refused
	}{
		{"listener:olt", "", -1},
		{"listener:olt", getpaid.DeliveryDead, -1},
		{"listener:old", "", 1},
		{"listener:old", getpaid.DeliveryDelivered, 0},
		{"listener:shop", getpaid.DeliveryDead, 1},
		{"listener:shop", getpaid.DeliveryDelivered, 0},
	} {
		page, err := after.eng.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: tc.consumer, State: tc.state})
		switch {
		case tc.want < 0:
			var fe *getpaid.FieldError
			if !errors.As(err, &fe) || fe.Field != "endpoint" || !strings.Contains(err.Error(), "listener:shop") {
				t.Errorf("deliveries to %s (%s): %v, %v; want refused naming endpoint and listener:shop", tc.consumer, tc.state, page, err)
			}
		case err != nil || len(page.Deliveries) != tc.want:
			t.Errorf("deliveries to %s (%s): %v, %v; want %d", tc.consumer, tc.state, page, err, tc.want)
		}
	}
	// A configured consumer nothing went to yet lists nothing, unrefused.
	fresh := newDummyEnv(t, dummy.Config{}, engine.Config{})
	fresh.eng.OnEventNamed("shop", func(context.Context, getpaid.Event) error { return nil })
	if page, err := fresh.eng.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: "listener:shop"}); err != nil || len(page.Deliveries) != 0 {
		t.Errorf("deliveries to a configured consumer with none: %v, %v", page, err)
	}
}
