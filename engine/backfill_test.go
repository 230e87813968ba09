package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An endpoint added to the configuration after events were written gets
// none of them by itself (nothing can replay what was never delivered to
// it); Backfill sends it those since a time, of the types it takes, once.
func TestBackfillNewConsumer(t *testing.T) {
	t.Parallel()
	shop := &recorder{}
	before := newDummyEnv(t, dummy.Config{}, engine.Config{})
	before.eng.OnEventNamed("shop", shop.listen)
	ctx := context.Background()
	var ids []string
	for _, order := range []string{"o-1", "o-2"} {
		p, err := before.eng.Create(ctx, getpaid.PayRequest{OrderID: order, Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	waitFor(t, "shop's events", func() bool { return len(shop.got()) == 2 })
	_ = before.eng.Close()

	erp, crm := &recorder{}, &recorder{}
	after := newDummyEnv(t, dummy.Config{}, engine.Config{Store: before.store})
	after.eng.OnEventNamed("shop", shop.listen)
	after.eng.OnEventNamed("erp", erp.listen)
	after.eng.AddConsumer(typed{name: "listener:crm", r: crm, types: []getpaid.EventType{getpaid.EventStatusChanged}})
	since := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		consumer string
		since    time.Time
		field    string
	}{
		{"listener:erp", time.Time{}, "since"},
		// a time to come has no events yet: answering 0 reads as "none
		// missed" to an operator who mistyped the year
		{"listener:erp", time.Now().Add(time.Hour), "since"},
		{"listener:nobody", since, "endpoint"},
	} {
		var fe *getpaid.FieldError
		if _, err := after.eng.Backfill(ctx, tc.consumer, tc.since); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("Backfill(%s, %v): %v; want refused naming %s", tc.consumer, tc.since, err, tc.field)
		}
	}
	if n, err := after.eng.Backfill(ctx, "listener:crm", since); err != nil || n != 0 {
		t.Errorf("backfill of a consumer taking status changes only, with none written: %d, %v; want 0", n, err)
	}
	n, err := after.eng.Backfill(ctx, "listener:erp", since)
	if err != nil || n != 2 {
		t.Fatalf("backfill: %d, %v; want 2", n, err)
	}
	waitFor(t, "erp's events", func() bool { return len(erp.got()) == 2 })
	got := map[string]bool{} // different payments' events go at once, in any order
	for _, ev := range erp.got() {
		got[ev.ID] = true
	}
	for _, id := range ids {
		if !got["evt_created_"+id] {
			t.Errorf("erp got %v, not evt_created_%s", got, id)
		}
	}
	if n, err := after.eng.Backfill(ctx, "listener:erp", since); err != nil || n != 0 {
		t.Errorf("backfill again: %d, %v; want 0", n, err)
	}
	time.Sleep(100 * time.Millisecond)
	if len(shop.got()) != 2 || len(erp.got()) != 2 {
		t.Errorf("after all: shop got %d, erp %d; want 2 each", len(shop.got()), len(erp.got()))
	}
}

// typed is a consumer of some event types only.
type typed struct {
	name  string
	r     *recorder
	types []getpaid.EventType
}

func (c typed) Name() string                    { return c.name }
func (c typed) EventTypes() []getpaid.EventType { return c.types }
func (c typed) Deliver(ctx context.Context, ev getpaid.Event) (int, error) {
	return 0, c.r.listen(ctx, ev)
}
