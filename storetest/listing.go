package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// listingTests check the payment listing's filters and pages on every
// store, not only on those that keep totals (whose case compares the two):
// the console and GET /api/v1/payments list through it.
var listingTests = []test{
	{"FiltersAndPages", testListingFilters, nil},
	{"SeveralFiltersAndPages", testListingCombined, nil},
}

// testListingFilters lists payments of several backends, currencies,
// statuses and creation times under each filter, a page of two at a time,
// and wants exactly the payments the filter matches, newest first.
func testListingFilters(t *testing.T, s getpaid.Store) {
	var all []*getpaid.Payment // oldest first
	mk := func(order, backend, cur string, then *getpaid.Mutation) {
		p := newPayment(order, 100, cur)
		p.Backend = backend
		mustCreate(t, s, p, getpaid.CreateOptions{Then: then})
		all = append(all, p)
		time.Sleep(2 * time.Millisecond) // creation times apart
	}
	mk("o-l1", "dummy", "PLN", nil)
	mk("o-l1", "dummy", "PLN", ptr(prepare("L1")))
	mk("o-l2", "payu", "EUR", ptr(prepare("L2")))
	split := time.Now()
	time.Sleep(2 * time.Millisecond)
	mk("o-l3", "payu", "PLN", ptr(prepare("L3")))
	mk("o-l4", "dummy", "EUR", ptr(failed()))
	mk("o-l5", "dummy", "PLN", ptr(prepare("L5")))
	paid := all[len(all)-1]
	mustUpdate(t, s, paid.ID, observe("paid", paidObservation(paid)))
	paid.Status = getpaid.StatusPaid
	day := func(y int) time.Time { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC) }
	for _, f := range []getpaid.PaymentFilter{
		{},
		{Status: getpaid.StatusPrepared},
		{Status: getpaid.StatusPaid},
		{Status: getpaid.StatusRefunded},
		{Backend: "payu"},
		{Backend: "dummy", Currency: "PLN"},
		{Currency: "EUR"},
		{OrderID: "o-l1"},
		{OrderID: "o-l1", Status: getpaid.StatusNew},
		{CreatedBefore: split},
		{CreatedAfter: split},
		{CreatedAfter: split, Backend: "dummy"},
		{CreatedAfter: all[0].CreatedAt, CreatedBefore: all[1].CreatedAt}, // after inclusive, before exclusive
		{CreatedAfter: all[1].CreatedAt.Add(time.Nanosecond)},
		{CreatedBefore: all[1].CreatedAt.Add(time.Nanosecond)},
		{CreatedAfter: day(1600), CreatedBefore: day(2300)},
		{CreatedAfter: day(2), CreatedBefore: day(9999)}, // (year 1 on January 1 is the zero time: no bound)
		{CreatedBefore: day(1600)},
		{CreatedAfter: day(2300)},
		// Beyond what PostgreSQL's timestamps hold (4713 BC to 294276
		// AD): a library's "no bound" written as a time far away.
		{CreatedAfter: day(-10000)},
		{CreatedBefore: day(300000)},
		{CreatedAfter: day(-10000), CreatedBefore: time.Unix(1<<62, 0)},
		{CreatedBefore: day(-10000)},
		{CreatedAfter: time.Unix(1<<62, 0)},
	} {
		var want []string
		for i := len(all) - 1; i >= 0; i-- {
			if matches(all[i], f) {
				want = append(want, all[i].ID)
			}
		}
		var got []string
		pf := f
		pf.Limit = 2
		for range len(all) + 1 {
			page, err := s.Payments(ctx(t), pf)
			if err != nil {
				t.Fatalf("Payments(%+v): %v", pf, err)
			}
			for _, p := range page.Payments {
				got = append(got, p.ID)
			}
			// A page holds at most Limit payments, and only the last
			// may hold fewer.
			if n := len(page.Payments); n > pf.Limit || page.NextCursor != "" && n != pf.Limit {
				t.Errorf("Payments(%s) by pages of 2: a page of %d, next cursor %q", describe(f), n, page.NextCursor)
			}
			if page.NextCursor == "" {
				break
			}
			pf.Cursor = page.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Errorf("Payments(%s) by pages of 2 = %v, want %v", describe(f), got, want)
		}
	}
}

// matches reports whether p is listed under f.
func matches(p *getpaid.Payment, f getpaid.PaymentFilter) bool {
	return (f.OrderID == "" || p.OrderID == f.OrderID) && (f.Status == "" || p.Status == f.Status) &&
		(f.Backend == "" || p.Backend == f.Backend) && (f.Currency == "" || p.Amount.Currency == f.Currency) &&
		(f.CreatedAfter.IsZero() || !p.CreatedAt.Before(f.CreatedAfter)) &&
		(f.CreatedBefore.IsZero() || p.CreatedAt.Before(f.CreatedBefore)) &&
		(f.CreateKey == "" || p.CreateKey == f.CreateKey)
}

// describe is f's fields that are set.
func describe(f getpaid.PaymentFilter) string {
	s := ""
	add := func(k string, v any, set bool) {
		if set {
			s += fmt.Sprintf(" %s=%v", k, v)
		}
	}
	add("order", f.OrderID, f.OrderID != "")
	add("status", f.Status, f.Status != "")
	add("backend", f.Backend, f.Backend != "")
	add("currency", f.Currency, f.Currency != "")
	add("key", f.CreateKey, f.CreateKey != "")
	add("after", f.CreatedAfter.Format(time.RFC3339Nano), !f.CreatedAfter.IsZero())
	add("before", f.CreatedBefore.Format(time.RFC3339Nano), !f.CreatedBefore.IsZero())
	return "{" + s + " }"
}
