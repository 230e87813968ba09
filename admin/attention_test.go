package admin_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// TestAttentionAndReplay: an operator finds, on one page, the operations in
// doubt and the dead deliveries of every payment, follows a dead one to its
// payment and delivers it again from there once the endpoint is back; the
// form needs the session's CSRF token, an event of another payment is
// refused, and each replay is audited.
func TestAttentionAndReplay(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	var mu sync.Mutex
	got := map[string]int{} // deliveries acknowledged, by event
	delivered := func(id string) int { mu.Lock(); defer mu.Unlock(); return got[id] }
	down.Store(true)
	shop := func(_ context.Context, ev getpaid.Event) error {
		if down.Load() {
			return errors.New("shop down")
		}
		mu.Lock()
		defer mu.Unlock()
		got[ev.ID]++
		return nil
	}
	e := newEnvEngine(t, nil, false, nil, func(c *engine.Config) {
		c.RetrySchedule = []time.Duration{time.Millisecond}
		c.Listeners = []engine.Listener{shop}
	})
	ctx := context.Background()
	p := e.pay("o-attn", "10.00", "paid", getpaid.StatusPaid)
	other := e.pay("o-attn-2", "5.00", "paid", getpaid.StatusPaid)
	var dead []*getpaid.Delivery
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, State: getpaid.DeliveryDead})
		if err == nil && len(page.Deliveries) >= 3 { // created, prepared, paid
			dead = page.Deliveries
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries never died: %+v, %v", page, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := e.dummy.SetFault("timeout-before"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: other.ID, IdempotencyKey: "k-doubt"}); !errors.Is(err, getpaid.ErrOperationInDoubt) {
		t.Fatalf("refund with a lost answer: %v", err)
	}

	b := e.browser()
	b.mustLogin()
	if resp := b.do("GET", "/admin/attention", nil); resp.StatusCode != 200 {
		t.Fatalf("attention page: %d\n%s", resp.StatusCode, b.last)
	}
	doubt := section(t, b.last, "doubt")
	if !strings.Contains(doubt, `/admin/payments/`+other.ID+`"`) || !strings.Contains(doubt, "unknown") || strings.Contains(doubt, p.ID) {
		t.Errorf("the operation in doubt is not listed (only it):\n%s", doubt)
	}
	// A delivery is dead after its retries or at once on 410 Gone; replayed
	// one by one, a payment's events reach the endpoint in the order of the
	// replays, so the page says to deliver them oldest first.
	for _, want := range []string{"410 Gone", "oldest first"} {
		if !strings.Contains(b.last, want) {
			t.Errorf("the dead deliveries' hint does not say %q:\n%s", want, b.last)
		}
	}
	deadRows := section(t, b.last, "dead")
	if n := strings.Count(deadRows, `/admin/payments/`+p.ID+`"`); n != len(dead) {
		t.Errorf("%d dead deliveries of the payment listed, want %d:\n%s", n, len(dead), deadRows)
	}

	down.Store(false)
	b.do("GET", "/admin/payments/"+p.ID, nil)
	ev := dead[0].EventID
	if !strings.Contains(b.last, `name="event" value="`+ev+`"`) {
		t.Fatalf("no replay form for the dead delivery of %s:\n%s", ev, b.last)
	}
	form := url.Values{"event": {ev}, "consumer": {dead[0].Consumer}}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/replay", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("replay without a CSRF token: %d", resp.StatusCode)
	}
	b.do("GET", "/admin/payments/"+p.ID, nil)
	form.Set("csrf", b.csrf())
	if resp := b.do("POST", "/admin/payments/"+other.ID+"/replay", form); resp.StatusCode != http.StatusNotFound {
		t.Errorf("replay of another payment's event: %d\n%s", resp.StatusCode, b.last)
	}
	bad := url.Values{"csrf": {b.csrf()}, "event": {ev}, "consumer": {"webhook:https://evil.example/"}}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/replay", bad); resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("replay to an unknown consumer: %d\n%s", resp.StatusCode, b.last)
	}
	if n := delivered(ev); n != 0 {
		t.Fatalf("refused replays delivered the event %d times", n)
	}
	resp := b.do("POST", "/admin/payments/"+p.ID+"/replay", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("replay: %d\n%s", resp.StatusCode, b.last)
	}
	b.do("GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(b.last, "delivered again (one delivery") {
		t.Errorf("no notice after the replay:\n%s", b.last)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		d, err := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{EventID: ev})
		if err == nil && len(d.Deliveries) == 1 && d.Deliveries[0].State == getpaid.DeliveryDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replayed delivery: %+v, %v", d, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := delivered(ev); n != 1 {
		t.Errorf("the replayed event was delivered %d times, want once", n)
	}
	audit := e.audit.String()
	if !strings.Contains(audit, `"action":"replay","result":"ok"`) || !strings.Contains(audit, `"action":"replay","result":"refused"`) {
		t.Errorf("replays not audited:\n%s", audit)
	}
}

// section is the table of a page with the given id.
func section(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<table id="` + id + `">.*?</table>`).FindString(page)
	if m == "" {
		t.Fatalf("no table %q on the page:\n%s", id, page)
	}
	return m
}
