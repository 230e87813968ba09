package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

// combined is a store's payments for the listings by several filters at
// once (as the console's filter form and GET /api/v1/payments send them),
// and those filters.
type combined struct {
	all     []*getpaid.Payment // oldest first, as stored now
	filters []getpaid.PaymentFilter
}

// combinedData creates 24 payments in three groups apart in time, of two
// backends, two currencies, five orders and every status a listing sees
// (skewed, so that a store choosing among its indexes by how many payments
// each filter matches chooses each of them in turn), six of them with a
// create key, and returns them with filters combining two to five of order,
// create key, status, backend and currency, alone and within creation
// bounds: inside the groups, at a payment's own creation time (after
// inclusive, before exclusive), across whole days, centuries away, empty
// and inverted.
func combinedData(t *testing.T, s getpaid.Store) combined {
	var (
		c      combined
		splits [2]time.Time
	)
	for i := range 24 {
		if i == 8 || i == 16 {
			time.Sleep(2 * time.Millisecond) // a clock reading strictly between the groups
			splits[i/8-1] = time.Now()
			time.Sleep(2 * time.Millisecond)
		}
		cur := "PLN"
		if i%3 == 2 {
			cur = "EUR"
		}
		p := newPayment(fmt.Sprint("o-c", i%5), 100+int64(i)*7, cur)
		if p.Backend = "payu"; i%4 == 3 {
			p.Backend = "dummy"
		}
		if i%4 == 1 {
			p.CreateKey = fmt.Sprint("key-c", i)
		}
		var then *getpaid.Mutation
		switch i % 6 {
		case 0: // new
		case 5:
			then = ptr(failed())
		default:
			then = ptr(prepare(fmt.Sprint("C", i)))
		}
		mustCreate(t, s, p, getpaid.CreateOptions{Then: then})
		c.all = append(c.all, p)
	}
	// Status changes after creation: the listing and the totals follow them.
	for i, p := range c.all {
		switch {
		case i%6 == 3:
			c.all[i] = mustUpdate(t, s, p.ID, observe("paid", paidObservation(p))).Payment.Clone()
		case i%12 == 4:
			c.all[i] = mustUpdate(t, s, p.ID, cancelled()).Payment.Clone()
		}
	}
	a, split1, split2 := c.all, splits[0], splits[1]
	today := split1.UTC().Truncate(24 * time.Hour)
	day := func(y int) time.Time { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC) }
	const (
		prepared, paid, failed, cancelled = getpaid.StatusPrepared, getpaid.StatusPaid, getpaid.StatusFailed, getpaid.StatusCancelled
	)
	c.filters = []getpaid.PaymentFilter{
		{Status: prepared, Backend: "payu"},
		{Status: paid, Backend: "payu"},
		{Status: paid, Backend: "dummy"},
		{Status: failed, Currency: "EUR"},
		{Status: prepared, Currency: "PLN"},
		{Backend: "dummy", Currency: "PLN"},
		{Backend: "payu", Currency: "EUR"},
		{Status: getpaid.StatusNew, Backend: "payu", Currency: "PLN"},
		{Status: prepared, Backend: "payu", Currency: "EUR"},
		{Status: cancelled, Backend: "payu"},
		{Status: getpaid.StatusRefunded, Backend: "payu"},
		{Backend: "nobody", Currency: "PLN"},
		{OrderID: "o-c1", Backend: "payu"},
		{OrderID: "o-c0", Currency: "EUR"},
		{OrderID: "o-c3", Status: prepared, Backend: "payu"},
		{OrderID: "o-c2", Status: failed, Backend: "payu", Currency: "EUR"},
		{OrderID: "o-c4", Backend: "dummy"},
		{CreateKey: "key-c13", Status: prepared},
		{CreateKey: "key-c13", Backend: "payu", Currency: "PLN"},
		{CreateKey: "key-c13", Backend: "dummy"},
		{CreateKey: "key-c17", OrderID: "o-c2", Status: failed},
		{CreateKey: "key-c17", OrderID: "o-c1"},
		{CreateKey: "key-c9", OrderID: "o-c4", Status: paid, Backend: "payu", Currency: "PLN"},
		// Within the groups.
		{Status: prepared, Backend: "payu", CreatedAfter: split1},
		{Status: prepared, Backend: "payu", CreatedBefore: split2},
		{Status: prepared, Backend: "payu", CreatedAfter: split1, CreatedBefore: split2},
		{Backend: "payu", Currency: "PLN", CreatedAfter: split1, CreatedBefore: split2},
		{Status: paid, Currency: "PLN", CreatedBefore: split1},
		{Backend: "dummy", Currency: "EUR", CreatedAfter: split2},
		{Status: failed, Backend: "payu", Currency: "EUR", CreatedAfter: split1},
		{OrderID: "o-c1", Backend: "payu", CreatedAfter: split1},
		{OrderID: "o-c3", Currency: "PLN", CreatedBefore: split2},
		{OrderID: "o-c0", Backend: "payu", CreatedAfter: split1, CreatedBefore: split2},
		{CreateKey: "key-c13", Status: prepared, CreatedAfter: split1, CreatedBefore: split2},
		{CreateKey: "key-c13", Backend: "payu", CreatedAfter: split2},
		// At payments' own creation times: a[1] and a[22] are both
		// prepared at PayU in PLN.
		{Status: prepared, Backend: "payu", Currency: "PLN", CreatedAfter: a[1].CreatedAt, CreatedBefore: a[22].CreatedAt},
		{Status: prepared, Backend: "payu", Currency: "PLN", CreatedAfter: a[1].CreatedAt.Add(time.Nanosecond), CreatedBefore: a[22].CreatedAt.Add(time.Nanosecond)},
		{Backend: "payu", Currency: "PLN", CreatedAfter: a[22].CreatedAt, CreatedBefore: a[22].CreatedAt.Add(time.Nanosecond)},
		// Whole days and the parts of days the bounds cut.
		{Status: prepared, Backend: "payu", CreatedAfter: split1.Add(-48 * time.Hour), CreatedBefore: split2},
		{Backend: "payu", Currency: "PLN", CreatedAfter: split1, CreatedBefore: split2.Add(48 * time.Hour)},
		{Status: paid, Currency: "PLN", CreatedAfter: split1.Add(-48 * time.Hour), CreatedBefore: split1.Add(48 * time.Hour)},
		{Status: prepared, Backend: "payu", CreatedAfter: today, CreatedBefore: today.Add(24 * time.Hour)},
		{Backend: "payu", Currency: "PLN", CreatedAfter: today.Add(-24 * time.Hour), CreatedBefore: today},
		{Status: prepared, Currency: "EUR", CreatedBefore: today.Add(-24 * time.Hour)},
		{Status: prepared, Backend: "payu", CreatedAfter: today.Add(24 * time.Hour)},
		// Centuries away, empty and inverted.
		{Status: prepared, Backend: "payu", CreatedAfter: day(1600), CreatedBefore: split1},
		{Status: prepared, Currency: "PLN", CreatedAfter: day(-10000), CreatedBefore: day(300000)},
		{Backend: "payu", Currency: "PLN", CreatedAfter: time.Unix(1<<62, 0)},
		{Backend: "dummy", Currency: "PLN", CreatedBefore: day(1600)},
		{Status: prepared, Backend: "payu", CreatedAfter: split1, CreatedBefore: split1},
		{Status: prepared, Backend: "payu", CreatedAfter: split2, CreatedBefore: split1},
	}
	return c
}

// want is the IDs of the payments f matches, newest first.
func (c combined) want(f getpaid.PaymentFilter) []string {
	var out []string
	for _, p := range slices.Backward(c.all) {
		if matches(p, f) {
			out = append(out, p.ID)
		}
	}
	return out
}

// testListingCombined lists payments by several filters at once, a page
// of one and of three at a time, and wants exactly the payments every
// filter matches, newest first, each once.
func testListingCombined(t *testing.T, s getpaid.Store) {
	c := combinedData(t, s)
	for _, f := range c.filters {
		want := c.want(f)
		for _, limit := range []int{1, 3} {
			got := listPages(t, s, f, limit, len(c.all)+1)
			if !slices.Equal(got, want) {
				t.Errorf("Payments(%s) by pages of %d = %v, want %v", describe(f), limit, got, want)
			}
		}
	}
}

// listPages lists f a page of limit at a time (at most max pages) and
// returns the IDs listed, failing the test for a page of more than limit,
// a page of fewer before the last, or an empty page a cursor led to.
func listPages(t *testing.T, s getpaid.Store, f getpaid.PaymentFilter, limit, max int) []string {
	t.Helper()
	var got []string
	f.Limit = limit
	for range max {
		page, err := s.Payments(ctx(t), f)
		if err != nil {
			t.Fatalf("Payments(%s) by pages of %d: %v", describe(f), limit, err)
		}
		for _, p := range page.Payments {
			got = append(got, p.ID)
		}
		n := len(page.Payments)
		if n > limit || page.NextCursor != "" && n != limit || f.Cursor != "" && n == 0 {
			t.Errorf("Payments(%s) by pages of %d: a page of %d after cursor %q, next cursor %q", describe(f), limit, n, f.Cursor, page.NextCursor)
		}
		if page.NextCursor == "" {
			return got
		}
		f.Cursor = page.NextCursor
	}
	t.Errorf("Payments(%s) by pages of %d: still a next cursor after %d pages", describe(f), limit, max)
	return got
}

// testTotalsCombined checks the totals for several filters at once: the
// sums of the payments they match, and of what the listing returns.
func testTotalsCombined(t *testing.T, s getpaid.Store) {
	pt := totaler(t, s)
	c := combinedData(t, s)
	for _, f := range c.filters {
		var want []getpaid.PaymentTotal
		for _, p := range c.all {
			if !matches(p, f) {
				continue
			}
			i := slices.IndexFunc(want, func(x getpaid.PaymentTotal) bool {
				return x.Status == p.Status && x.Amount.Currency == p.Amount.Currency
			})
			if i < 0 {
				i = len(want)
				want = append(want, getpaid.PaymentTotal{Status: p.Status, Amount: getpaid.Money{Currency: p.Amount.Currency}})
			}
			want[i].Count++
			want[i].Amount.Minor += p.Amount.Minor
		}
		getpaid.SortTotals(want)
		got, err := pt.PaymentTotals(ctx(t), f)
		if err != nil {
			t.Fatalf("PaymentTotals(%s): %v", describe(f), err)
		}
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Errorf("PaymentTotals(%s) (-payments matched +totals):\n%s", describe(f), diff)
		}
		if diff := cmp.Diff(bruteTotals(t, s, f), got, cmpOpts); diff != "" {
			t.Errorf("PaymentTotals(%s) (-listing +totals):\n%s", describe(f), diff)
		}
	}
}
