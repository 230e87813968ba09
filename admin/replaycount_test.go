package admin_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// TestReplayedDeliveryKeepsItsHistory: a delivery delivered again starts
// its count and its schedule again, its earlier attempts kept. The
// payment's page showed "0 attempts" and no attempt at all once it was
// replayed, as if it had never been sent, until its next attempt ended;
// it says now how many since the replay and how many in all, and lists
// them all, as getpaid events show does.
func TestReplayedDeliveryKeepsItsHistory(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	held := make(chan struct{})
	e := newEnvEngine(t, nil, false, nil, func(c *engine.Config) {
		c.Listeners = []engine.Listener{func(ctx context.Context, ev getpaid.Event) error {
			mu.Lock()
			again := seen[ev.ID]
			seen[ev.ID] = true
			mu.Unlock()
			if again { // the replay's attempt holds on
				select {
				case <-held:
				case <-ctx.Done():
				}
			}
			return nil
		}}
	})
	t.Cleanup(func() { close(held) }) // before the engine's Close, which waits for it
	ctx := context.Background()
	p := e.pay("o-replay-count", "10.00", "paid", getpaid.StatusPaid)
	var d *getpaid.Delivery
	for deadline := time.Now().Add(10 * time.Second); d == nil; time.Sleep(10 * time.Millisecond) {
		page, err := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID})
		if err == nil && len(page.Deliveries) > 0 && !slices.ContainsFunc(page.Deliveries, func(d *getpaid.Delivery) bool {
			return d.State != getpaid.DeliveryDelivered
		}) {
			d = page.Deliveries[0] // every event delivered: the page shows one pending, the one replayed
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing delivered: %+v, %v", page, err)
		}
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/replay", url.Values{"csrf": {b.csrf()}, "event": {d.EventID}, "consumer": {d.Consumer}}); resp.Header.Get("Location") == "" {
		t.Fatalf("replay: %d\n%s", resp.StatusCode, b.last)
	}
	b.do("GET", "/admin/payments/"+p.ID, nil)
	page := b.last
	i := strings.Index(page, `<span class="op op-pending">pending</span>`)
	if i < 0 {
		t.Fatalf("the replayed delivery is not pending on the page:\n%s", page)
	}
	line := page[i:]
	line = line[:strings.Index(line, "</div>")]
	if want := "0 attempts counted (1 in all: those before it was last delivered again"; !strings.Contains(line, want) {
		t.Errorf("the replayed delivery reads %q, want it to say %q", line, want)
	}
	if strings.Contains(line, "delivered 20") {
		t.Errorf("the replayed delivery, pending, reads %q: delivered when?", line)
	}
	if !strings.Contains(page[i:], `<ol class="attempts"><li>`) {
		t.Errorf("the replayed delivery's earlier attempt is not listed:\n%s", page[i:])
	}
}
