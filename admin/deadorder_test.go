package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// TestDeadDeliveriesOldestFirst: the attention page listed the dead
// deliveries newest first, while its hint (and the README) says to
// deliver a payment's oldest first again. It now lists them oldest first,
// and says so.
func TestDeadDeliveriesOldestFirst(t *testing.T) {
	t.Parallel()
	e := newEnvEngine(t, nil, false, nil, func(c *engine.Config) {
		c.RetrySchedule = []time.Duration{time.Millisecond}
		c.Listeners = []engine.Listener{func(context.Context, getpaid.Event) error { return errors.New("shop down") }}
	})
	ctx := context.Background()
	first := e.pay("o-dead-first", "10.00", "paid", getpaid.StatusPaid)
	second := e.pay("o-dead-second", "5.00", "paid", getpaid.StatusPaid)
	var dead []*getpaid.Delivery // newest first, as the store lists them
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		page, err := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{State: getpaid.DeliveryDead})
		if err == nil && len(page.Deliveries) >= 6 { // created, prepared, paid of each
			dead = page.Deliveries
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries never died: %+v, %v", page, err)
		}
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/attention", nil)
	rows := section(t, b.last, "dead")
	last := -1
	for i := len(dead) - 1; i >= 0; i-- { // oldest first
		at := strings.Index(rows, "<code>"+dead[i].EventID+"</code>")
		if at < 0 || at < last {
			t.Fatalf("dead deliveries not listed oldest first (%s at %d, after %d):\n%s", dead[i].EventID, at, last, rows)
		}
		last = at
	}
	if strings.Index(rows, first.ID) > strings.Index(rows, second.ID) {
		t.Errorf("the first payment's dead deliveries come after the second's:\n%s", rows)
	}
	if !strings.Contains(b.last, "Listed oldest first") {
		t.Errorf("the page does not say in which order it lists the dead deliveries:\n%s", b.last)
	}
	// Its Attempts column counts since the last delivery again (a dead
	// delivery delivered again and dead again starts from 0): the page
	// says so, and where every try is listed.
	if !strings.Contains(b.last, "Attempts counts the tries since the event was last delivered again") {
		t.Errorf("the page does not say what its Attempts column counts:\n%s", b.last)
	}
}
