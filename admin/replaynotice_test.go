package admin_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// TestReplayNoticeNotForged: the notice after "Deliver again" said how
// many deliveries were made due from the link's n, so a crafted link
// (?done=replay&n=999) showed a made-up count, or a replay that never was.
// Only the console's own redirect, in the session that replayed, shows it.
func TestReplayNoticeNotForged(t *testing.T) {
	t.Parallel()
	e := newEnvEngine(t, nil, false, nil, func(c *engine.Config) {
		c.Listeners = []engine.Listener{func(context.Context, getpaid.Event) error { return nil }}
	})
	ctx := context.Background()
	p := e.pay("o-replay-notice", "10.00", "paid", getpaid.StatusPaid)
	var d *getpaid.Delivery
	for deadline := time.Now().Add(10 * time.Second); d == nil; time.Sleep(10 * time.Millisecond) {
		page, err := e.eng.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: p.ID, State: getpaid.DeliveryDelivered})
		if err == nil && len(page.Deliveries) > 0 {
			d = page.Deliveries[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing delivered: %+v, %v", page, err)
		}
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	resp := b.do("POST", "/admin/payments/"+p.ID+"/replay", url.Values{"csrf": {b.csrf()}, "event": {d.EventID}, "consumer": {d.Consumer}})
	own := resp.Header.Get("Location")
	if own == "" {
		t.Fatalf("replay: %d\n%s", resp.StatusCode, b.last)
	}
	forged, err := url.Parse(own)
	if err != nil {
		t.Fatal(err)
	}
	q := forged.Query()
	q.Set("n", "999")
	forged.RawQuery = q.Encode()
	other := e.browser()
	other.mustLogin()
	for _, tc := range []struct {
		name string
		b    *browser
		link string
		want string // the notice, or "" for none
	}{
		{"the console's own redirect", b, own, "The event is delivered again (one delivery made due now)."},
		{"a crafted count", b, forged.String(), ""},
		{"a crafted link with no signature", b, "/admin/payments/" + p.ID + "?done=replay&n=999", ""},
		{"the redirect opened in another session", other, own, ""},
	} {
		tc.b.do("GET", tc.link, nil)
		notice := ""
		if i := strings.Index(tc.b.last, `<p class="notice" role="status">`); i >= 0 {
			notice = tc.b.last[i+len(`<p class="notice" role="status">`):]
			notice = notice[:strings.Index(notice, "</p>")]
		}
		if notice != tc.want {
			t.Errorf("%s: notice %q, want %q", tc.name, notice, tc.want)
		}
	}
}
