package httpapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
)

// GET /api/v1/events with a status (or a payment) and no endpoint lists the
// deliveries of every consumer: with two consumers an event has two. Walking
// its pages lists every event once, with all its deliveries of that status;
// before, an event whose deliveries fell either side of a page's end was on
// both pages, each showing one of them (a script counting or replaying the
// dead events took it twice).
func TestEventPagesDoNotOverlap(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		e.eng.OnEventNamed("books", func(context.Context, getpaid.Event) error { return nil })
		var want, second []string
		var payment string
		for i, o := range []string{"o-pg1", "o-pg2", "o-pg3"} {
			p := e.paidThroughPaywall(o, "10.00")
			e.statusEvents(p.ID, getpaid.StatusPaid)
			page, err := e.eng.Events(context.Background(), getpaid.EventFilter{PaymentID: p.ID, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range page.Events {
				want = append(want, ev.ID)
				if i == 1 {
					second = append(second, ev.ID)
				}
			}
			if i == 1 {
				payment = p.ID
			}
		}
		for _, q := range []url.Values{
			{"status": {"delivered"}},
			{"status": {"delivered"}, "payment_id": {payment}},
		} {
			for _, limit := range []string{"1", "2", "3", "5", "500"} {
				got, pages := walkEventPages(t, e, q, limit)
				w := want
				if q.Get("payment_id") != "" {
					w = second
				}
				slices.Sort(got)
				sorted := slices.Clone(w)
				slices.Sort(sorted)
				if !slices.Equal(got, sorted) {
					t.Errorf("%s, limit %s: %d events over %d pages, want each of the %d once", q.Encode(), limit, len(got), pages, len(w))
				}
			}
		}
	})
}

// A listener added later and backfilled has its deliveries written long
// after the events' others: they are not next to them in the listing's
// order. Walking GET /api/v1/events?status= still lists every event once,
// with all its deliveries of that status; before, each such event was
// listed twice, on two pages, each time with some of its deliveries.
func TestEventPagesDoNotOverlapAfterBackfill(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		var want []string
		for _, o := range []string{"o-bf1", "o-bf2", "o-bf3"} {
			p := e.paidThroughPaywall(o, "10.00")
			e.statusEvents(p.ID, getpaid.StatusPaid)
			page, err := e.eng.Events(context.Background(), getpaid.EventFilter{PaymentID: p.ID, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range page.Events {
				want = append(want, ev.ID)
			}
		}
		e.eng.OnEventNamed("erp", func(context.Context, getpaid.Event) error { return nil })
		if n, err := e.eng.Backfill(context.Background(), "listener:erp", time.Now().Add(-time.Hour)); err != nil || n != len(want) {
			t.Fatalf("backfill: %d, %v; want %d", n, err, len(want))
		}
		for _, o := range []string{"o-bf1", "o-bf2", "o-bf3"} {
			e.statusEvents(e.byOrder(o)[0].ID, getpaid.StatusPaid)
		}
		slices.Sort(want)
		for _, limit := range []string{"1", "2", "3", "5", "500"} {
			got, pages := walkEventPages(t, e, url.Values{"status": {"delivered"}}, limit)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("limit %s: %d events over %d pages, want each of the %d once", limit, len(got), pages, len(want))
			}
		}
	})
}

// walkEventPages walks GET /api/v1/events?q with limit, page after page,
// and returns the events' ids and how many pages it took; every event must
// be listed with its two deliveries (the two listeners').
func walkEventPages(t *testing.T, e *env, q url.Values, limit string) (ids []string, pages int) {
	t.Helper()
	cursor := ""
	for {
		v := url.Values{"limit": {limit}}
		for k, s := range q {
			v[k] = s
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		resp, body := e.do("GET", "/api/v1/events?"+v.Encode(), nil, auth)
		var list httpapi.EventListJSON
		if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", v.Encode(), resp.StatusCode, body)
		}
		for _, ev := range list.Events {
			ids = append(ids, ev.ID)
			if len(ev.Deliveries) != 2 {
				t.Errorf("%s: event %s listed with %d deliveries, want both listeners'", v.Encode(), ev.ID, len(ev.Deliveries))
			}
		}
		if pages++; list.NextCursor == "" || pages > 100 {
			return ids, pages
		}
		cursor = list.NextCursor
	}
}
