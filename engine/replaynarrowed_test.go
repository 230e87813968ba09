package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A replay of an event to a consumer whose event types were narrowed since
// (a webhook endpoint's events: edited) and no longer take it would not be
// sent: the dispatcher discards such a delivery when it comes due. The
// replay said "1 delivery due again; a running server delivers it", and a
// dead delivery so replayed became discarded. Named, the consumer is
// refused, naming the type; not named, it is left out of the count.
func TestReplayToConsumerNoLongerTakingTheType(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	first := &recorder{}
	before := newDummyEnv(t, dummy.Config{}, engine.Config{RetrySchedule: []time.Duration{time.Hour}})
	before.eng.AddConsumer(typed{name: "listener:crm", r: first}) // every type
	p, err := before.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-replay-narrow", Backend: "dummy", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	created := "evt_created_" + p.ID
	waitFor(t, "payment.created delivered", func() bool {
		page, err := before.store.Deliveries(ctx, getpaid.DeliveryFilter{EventID: created, Consumer: "listener:crm", State: getpaid.DeliveryDelivered})
		return err == nil && len(page.Deliveries) == 1
	})
	_ = before.eng.Close()

	after := newDummyEnv(t, dummy.Config{}, engine.Config{Store: before.store, RetrySchedule: []time.Duration{time.Hour}})
	after.eng.AddConsumer(typed{name: "listener:crm", r: &recorder{}, types: []getpaid.EventType{getpaid.EventStatusChanged}})

	tests := []struct {
		name     string
		req      getpaid.ReplayRequest
		want     int
		wantErr  bool
		mentions string
	}{
		{name: "every consumer: only those taking it count", req: getpaid.ReplayRequest{EventID: created}, want: 0},
		{name: "named consumer no longer taking the type", req: getpaid.ReplayRequest{EventID: created, Consumer: "listener:crm"}, wantErr: true, mentions: string(getpaid.EventPaymentCreated)},
	}
	for _, tt := range tests { // in order, on one store: each leaves the delivery as it was
		t.Run(tt.name, func(t *testing.T) {
			n, err := after.eng.Replay(ctx, tt.req)
			if tt.wantErr {
				if !errors.Is(err, getpaid.ErrInvalidRequest) || !strings.Contains(err.Error(), tt.mentions) {
					t.Fatalf("replay: %d, %v; want ErrInvalidRequest naming %s", n, err, tt.mentions)
				}
				return
			}
			if err != nil || n != tt.want {
				t.Fatalf("replay: %d, %v; want %d", n, err, tt.want)
			}
		})
	}
	page, err := after.store.Deliveries(ctx, getpaid.DeliveryFilter{EventID: created, Consumer: "listener:crm"})
	if err != nil || len(page.Deliveries) != 1 || page.Deliveries[0].State != getpaid.DeliveryDelivered {
		t.Fatalf("crm's delivery of %s: %+v, %v; want it left delivered", created, page, err)
	}
}
