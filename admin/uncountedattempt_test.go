package admin_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// localFailure is an attempt that failed on getpaid's machine before
// anything was sent (as webhook's out of file descriptors): recorded with
// the attempts, not counted.
type localFailure struct{}

func (localFailure) Error() string { return "not sent: out of file descriptors" }
func (localFailure) Local() bool   { return true }

// TestUncountedAttemptIsNoReplay: an attempt recorded but not counted (a
// local failure, or a discard) is listed with the others; the payment's
// page read "1 attempt since it was last delivered again (2 in all)" for a
// delivery no one had delivered again, taking every attempt listed beyond
// the count for one made before a replay.
func TestUncountedAttemptIsNoReplay(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	e := newEnvEngine(t, nil, false, nil, func(c *engine.Config) {
		c.RetrySchedule = []time.Duration{10 * time.Millisecond}
		c.Listeners = []engine.Listener{func(ctx context.Context, ev getpaid.Event) error {
			mu.Lock()
			defer mu.Unlock()
			if !seen[ev.ID] {
				seen[ev.ID] = true
				return localFailure{}
			}
			return nil
		}}
	})
	ctx := context.Background()
	p := e.pay("o-uncounted", "10.00", "paid", getpaid.StatusPaid)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		page, err := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID})
		if err == nil && len(page.Deliveries) > 0 && !containsUndelivered(page.Deliveries) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %+v, %v", page, err)
		}
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	page := b.last
	i := strings.Index(page, `<span class="op op-delivered">delivered</span>`)
	if i < 0 {
		t.Fatalf("no delivered delivery on the page:\n%s", page)
	}
	line := page[i:]
	line = line[:strings.Index(line, "</div>")]
	if want := "1 attempt counted (2 in all:"; !strings.Contains(line, want) || strings.Contains(line, "since it was last delivered again") {
		t.Errorf("a delivery never delivered again reads %q, want it to say %q, not that it was delivered again", line, want)
	}
	if !strings.Contains(page[i:], `<ol class="attempts"><li>`) {
		t.Errorf("the uncounted attempt is not listed:\n%s", page[i:])
	}
}

func containsUndelivered(ds []*getpaid.Delivery) bool {
	for _, d := range ds {
		if d.State != getpaid.DeliveryDelivered {
			return true
		}
	}
	return false
}
