package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A consumer whose event types were narrowed (a webhook endpoint's events:
// edited) is not sent the deliveries of a type it no longer takes that were
// left pending from before: they become discarded, saying why, when they
// come due, as backfill never writes them, and no longer hold back the
// payment's later events. They used to be sent at their next attempt,
// holding back, until then, the events it still takes.
func TestNarrowedConsumerDiscardsUnwantedTypes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	down := &recorder{}
	down.fail.Store(1 << 20)
	before := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: []time.Duration{time.Hour}})
	before.eng.AddConsumer(typed{name: "listener:crm", r: down}) // every type
	p, err := before.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-narrow", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failed first attempt", func() bool { return down.calls.Load() == 1 })
	waitFor(t, "the attempt recorded", func() bool {
		page, err := before.store.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: "listener:crm"})
		return err == nil && len(page.Deliveries) == 1 && page.Deliveries[0].Attempts == 1
	})
	_ = before.eng.Close()

	crm := &recorder{}
	after := newDummyEnv(t, dummy.Config{}, engine.Config{Store: before.store, RetrySchedule: []time.Duration{time.Hour}})
	after.eng.AddConsumer(typed{name: "listener:crm", r: crm, types: []getpaid.EventType{getpaid.EventStatusChanged}})
	if n, err := after.eng.Replay(ctx, getpaid.ReplayRequest{Consumer: "listener:crm", Waiting: true}); err != nil || n != 1 {
		t.Fatalf("replay of the waiting delivery: %d, %v", n, err)
	}
	if _, err := after.eng.Cancel(ctx, getpaid.ActionRequest{PaymentID: p.ID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the status change delivered", func() bool { return len(crm.got()) == 1 })
	if ev := crm.got()[0]; ev.Type != getpaid.EventStatusChanged {
		t.Fatalf("sent %s; want only the status change", ev.Type)
	}
	var page *getpaid.DeliveryPage
	waitFor(t, "the payment.created delivery discarded", func() bool {
		var err error
		page, err = after.store.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: "listener:crm", State: getpaid.DeliveryDiscarded})
		return err == nil && len(page.Deliveries) == 1
	})
	if d := page.Deliveries[0]; !strings.Contains(d.LastError, "no longer takes") || !strings.Contains(d.LastError, string(getpaid.EventPaymentCreated)) {
		t.Errorf("discarded delivery's last error %q; want it to say the consumer no longer takes %s", d.LastError, getpaid.EventPaymentCreated)
	}
	if calls := crm.calls.Load(); calls != 1 {
		t.Errorf("consumer called %d times; want once (the status change)", calls)
	}
}

// Discarding a delivery the consumer no longer takes gives its place in
// flight back, as an attempt does: more such deliveries than
// DeliveriesInFlight (a narrowed endpoint's backlog) are all discarded, and
// the consumer is still sent the events it takes. The places were kept, so
// once DeliveriesInFlight of them were discarded the consumer was sent
// nothing more until a restart.
func TestNarrowedConsumerDiscardsFreeTheirPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	down := &recorder{}
	down.fail.Store(1 << 20)
	before := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: []time.Duration{time.Hour}})
	before.eng.AddConsumer(typed{name: "listener:crm", r: down}) // every type
	const n = 3
	var ids []string
	for i := range n {
		p, err := before.eng.Create(ctx, getpaid.PayRequest{OrderID: fmt.Sprintf("o-narrow-room-%d", i), Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	waitFor(t, "the failed first attempts recorded", func() bool {
		page, err := before.store.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: "listener:crm"})
		if err != nil || len(page.Deliveries) != n {
			return false
		}
		for _, d := range page.Deliveries {
			if d.Attempts != 1 {
				return false
			}
		}
		return true
	})
	_ = before.eng.Close()

	crm := &recorder{}
	after := newDummyEnv(t, dummy.Config{}, engine.Config{Store: before.store, RetrySchedule: []time.Duration{time.Hour}, DeliveriesInFlight: 1})
	after.eng.AddConsumer(typed{name: "listener:crm", r: crm, types: []getpaid.EventType{getpaid.EventStatusChanged}})
	if got, err := after.eng.Replay(ctx, getpaid.ReplayRequest{Consumer: "listener:crm", Waiting: true}); err != nil || got != n {
		t.Fatalf("replay of the waiting deliveries: %d, %v; want %d", got, err, n)
	}
	waitFor(t, "every payment.created delivery discarded", func() bool {
		page, err := after.store.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: "listener:crm", State: getpaid.DeliveryDiscarded})
		return err == nil && len(page.Deliveries) == n
	})
	if _, err := after.eng.Cancel(ctx, getpaid.ActionRequest{PaymentID: ids[0]}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the status change delivered", func() bool { return len(crm.got()) == 1 })
}

// Servers sharing a database during a rollout that widens an endpoint's
// events: the one still on the old, narrower configuration claims
// deliveries the new ones wrote, of the types added, after it started. It
// sends them, as it did before narrowed consumers discarded: they were not
// left over from before its configuration, they are what the endpoint is
// to get now. It discarded them, so the endpoint never heard of them
// unless an operator found and replayed them.
func TestNarrowedConsumerSendsWhatOtherServersWroteSince(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	old := &recorder{}
	running := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: []time.Duration{time.Hour}})
	running.eng.AddConsumer(typed{name: "listener:crm", r: old, types: []getpaid.EventType{getpaid.EventStatusChanged}})
	time.Sleep(5 * time.Millisecond) // the new server's writes come after the old one's start
	rolled := newDummyEnv(t, dummy.Config{}, engine.Config{Store: running.store, NoDelivery: true})
	rolled.eng.AddConsumer(typed{name: "listener:crm", r: &recorder{}}) // every type, delivered by the running server here
	if _, err := rolled.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-widened", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the payment.created delivery settled", func() bool {
		page, err := running.store.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: "listener:crm"})
		return err == nil && len(page.Deliveries) == 1 && page.Deliveries[0].State != getpaid.DeliveryPending
	})
	page, err := running.store.Deliveries(ctx, getpaid.DeliveryFilter{Consumer: "listener:crm"})
	if err != nil {
		t.Fatal(err)
	}
	if d := page.Deliveries[0]; d.State != getpaid.DeliveryDelivered {
		t.Fatalf("payment.created written by the widened server: %s (%s); want delivered", d.State, d.LastError)
	}
}
