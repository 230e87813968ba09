package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
)

// A pending delivery held back behind an earlier event of its payment (a
// consumer gets a payment's events in order) says which event it waits
// for, in GET /api/v1/events and GET /api/v1/events/{id}. Before, only
// "getpaid events list" said it: through the API it read as a delivery
// due long ago that nothing tried, a dispatcher that hung.
func TestPendingDeliverySaysWhatItWaitsFor(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		e.eng.OnEventNamed("books", func(context.Context, getpaid.Event) error { return errors.New("books are down") })
		p := e.paidThroughPaywall("o-waits", "10.00")
		created := "evt_created_" + p.ID
		// Wait for the first attempt at the created event to have failed:
		// it is then due again in 5 s, and the status changes wait for it.
		deadline := time.Now().Add(10 * time.Second)
		for {
			page, err := e.eng.Deliveries(context.Background(), getpaid.DeliveryFilter{EventID: created, Consumer: "listener:books"})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Deliveries) == 1 && page.Deliveries[0].Attempts > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the created event was never tried on listener:books")
			}
			time.Sleep(10 * time.Millisecond)
		}
		resp, body := e.do("GET", "/api/v1/events?status=pending&payment_id="+p.ID, nil, auth)
		var list httpapi.EventListJSON
		if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 {
			t.Fatalf("list: %d %s", resp.StatusCode, body)
		}
		waits := map[string]string{} // event -> what its delivery to books waits for
		for _, ev := range list.Events {
			for _, d := range ev.Deliveries {
				if d.Consumer == "listener:books" {
					waits[ev.ID] = d.WaitsFor
				}
			}
		}
		if len(waits) != 3 {
			t.Fatalf("pending deliveries to books: %v; want the payment's three events\n%s", waits, body)
		}
		for id, w := range waits {
			want := created
			if id == created {
				want = ""
			}
			if w != want {
				t.Errorf("the delivery of %s waits_for %q; want %q\n%s", id, w, want, body)
			}
		}
		for id := range waits {
			if id == created {
				continue
			}
			resp, body := e.do("GET", "/api/v1/events/"+id, nil, auth)
			var ev httpapi.EventJSON
			if err := json.Unmarshal(body, &ev); err != nil || resp.StatusCode != 200 {
				t.Fatalf("show %s: %d %s", id, resp.StatusCode, body)
			}
			for _, d := range ev.Deliveries {
				if d.Consumer == "listener:books" && d.WaitsFor != created {
					t.Errorf("GET /api/v1/events/%s: its delivery to books waits_for %q; want %q", id, d.WaitsFor, created)
				}
			}
		}
	})
}
