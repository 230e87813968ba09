package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

// statsTests check the optional monitoring capabilities; each is skipped for
// a store that does not implement it.
var statsTests = []test{
	{"TotalsMatchListing", testTotals, nil},
	{"TotalsOfSeveralFilters", testTotalsCombined, nil},
	{"TotalsFollowChanges", testTotalsFollowChanges, nil},
	{"TotalsNeverWrap", testTotalsNeverWrap, nil},
	{"Backlog", testBacklog, nil},
	{"Ready", testReady, nil},
}

// bruteTotals adds up every payment the listing returns for f: what
// PaymentTotals must answer.
func bruteTotals(t *testing.T, s getpaid.Store, f getpaid.PaymentFilter) []getpaid.PaymentTotal {
	t.Helper()
	f.Limit = getpaid.MaxPageSize
	idx := map[[2]string]int{}
	var out []getpaid.PaymentTotal
	for {
		page, err := s.Payments(ctx(t), f)
		if err != nil {
			t.Fatalf("Payments(%+v): %v", f, err)
		}
		for _, p := range page.Payments {
			k := [2]string{string(p.Status), p.Amount.Currency}
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, getpaid.PaymentTotal{Status: p.Status, Amount: getpaid.Money{Currency: p.Amount.Currency}})
			}
			out[i].Count++
			out[i].Amount.Minor += p.Amount.Minor
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	getpaid.SortTotals(out)
	return out
}

func totaler(t *testing.T, s getpaid.Store) getpaid.PaymentTotaler {
	t.Helper()
	pt, ok := s.(getpaid.PaymentTotaler)
	if !ok {
		t.Skip("the store does not implement getpaid.PaymentTotaler")
	}
	return pt
}

// testTotals checks that the totals for a filter are the sums of what the
// listing returns for it, for every field of the filter.
func testTotals(t *testing.T, s getpaid.Store) {
	pt := totaler(t, s)
	mk := func(order, backend, cur string, minor int64, then *getpaid.Mutation) *getpaid.Payment {
		p := newPayment(order, minor, cur)
		p.Backend = backend
		mustCreate(t, s, p, getpaid.CreateOptions{Then: then})
		return p
	}
	first := mk("o-t1", "dummy", "PLN", 1000, nil)
	mk("o-t1", "dummy", "PLN", 1000, ptr(prepare("T1")))
	time.Sleep(2 * time.Millisecond) // a clock reading strictly between the two groups
	split := time.Now()
	time.Sleep(2 * time.Millisecond)
	mk("o-t2", "payu", "EUR", 250, ptr(prepare("T2")))
	paid := mk("o-t3", "payu", "PLN", 4000, ptr(prepare("T3")))
	mustUpdate(t, s, paid.ID, observe("paid", paidObservation(paid)))
	mk("o-t4", "dummy", "EUR", 99, ptr(failed()))
	// Two more of a status and currency, of other amounts: a total is a
	// sum, not the last amount counted.
	mk("o-t5", "dummy", "PLN", 7, ptr(prepare("T5")))
	keyed := newPayment("o-t6", 30, "PLN")
	keyed.Backend, keyed.CreateKey = "payu", "key-t6"
	mustCreate(t, s, keyed, getpaid.CreateOptions{Then: ptr(prepare("T6"))})
	for _, f := range []getpaid.PaymentFilter{
		{},
		{Status: getpaid.StatusPrepared},
		{Status: getpaid.StatusPaid},
		{Status: getpaid.StatusRefunded},
		{Backend: "payu"},
		{Currency: "EUR"},
		{OrderID: "o-t1"},
		{OrderID: "o-t1", Status: getpaid.StatusNew},
		{CreatedBefore: split},
		{CreatedAfter: split},
		{CreatedAfter: split, Backend: "dummy"},
		{CreatedAfter: first.CreatedAt, CreatedBefore: split},
		{CreatedAfter: split.Add(-48 * time.Hour), CreatedBefore: split.Add(48 * time.Hour)},
		{CreatedAfter: split.Add(time.Hour)},
		{CreatedAfter: split.Add(-time.Hour), CreatedBefore: split.Add(-time.Minute)},
		{Limit: 1, Cursor: ""},
		// The payment created with an idempotency key, as the listing
		// finds it: the totals counted every payment.
		{CreateKey: "key-t6"},
		{CreateKey: "key-t6", Status: getpaid.StatusPrepared},
		{CreateKey: "key-none"},
		{CreateKey: "key-t6", CreatedAfter: split.Add(-48 * time.Hour), CreatedBefore: split.Add(48 * time.Hour)},
	} {
		got, err := pt.PaymentTotals(ctx(t), f)
		if err != nil {
			t.Fatalf("PaymentTotals(%+v): %v", f, err)
		}
		want := bruteTotals(t, s, f)
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Errorf("PaymentTotals(%+v) (-listing +totals):\n%s", f, diff)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// testTotalsFollowChanges checks that totals move with status changes.
func testTotalsFollowChanges(t *testing.T, s getpaid.Store) {
	pt := totaler(t, s)
	p := newPayment("o-tc", 500, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	mustUpdate(t, s, p.ID, prepare("TC"))
	mustUpdate(t, s, p.ID, observe("paid", paidObservation(p)))
	got, err := pt.PaymentTotals(ctx(t), getpaid.PaymentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []getpaid.PaymentTotal{{Status: getpaid.StatusPaid, Count: 1, Amount: getpaid.Money{Minor: 500, Currency: "PLN"}}}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("totals after new -> prepared -> paid (-want +got):\n%s", diff)
	}
}

// testTotalsNeverWrap checks that a total beyond what an int64 holds is
// refused, never wrapped round: 101 payments of the largest amount getpaid
// takes (getpaid.MaxMinor, a hundredth of the int64 range) sum past it, and
// a store that added them up in an int64 showed a negative total. The
// totals of another currency are what they are.
func testTotalsNeverWrap(t *testing.T, s getpaid.Store) {
	pt := totaler(t, s)
	for i := range 101 {
		mustCreate(t, s, newPayment(fmt.Sprint("o-big-", i), getpaid.MaxMinor, "PLN"), getpaid.CreateOptions{})
	}
	mustCreate(t, s, newPayment("o-small", 5, "EUR"), getpaid.CreateOptions{})
	got, err := pt.PaymentTotals(ctx(t), getpaid.PaymentFilter{})
	if err == nil {
		for _, x := range got {
			if x.Amount.Currency == "PLN" && (x.Count != 101 || x.Amount.Minor < getpaid.MaxMinor) {
				t.Fatalf("PaymentTotals of 101 payments of %s: %d payments, %s", getpaid.Money{Minor: getpaid.MaxMinor, Currency: "PLN"}, x.Count, x.Amount)
			}
		}
		t.Fatalf("PaymentTotals of a sum beyond the int64 range: %+v, no error", got)
	}
	if !errors.Is(err, getpaid.ErrTotalTooLarge) {
		t.Errorf("PaymentTotals of a sum beyond the int64 range: %v; want ErrTotalTooLarge", err)
	}
	if errors.Is(err, getpaid.ErrUnavailable) {
		t.Errorf("PaymentTotals of a sum beyond the int64 range: %v; the store is not unavailable (a 503 would send operators after a database outage)", err)
	}
	got, err = pt.PaymentTotals(ctx(t), getpaid.PaymentFilter{Currency: "EUR"})
	want := []getpaid.PaymentTotal{{Status: getpaid.StatusNew, Count: 1, Amount: getpaid.Money{Minor: 5, Currency: "EUR"}}}
	if diff := cmp.Diff(want, got, cmpOpts); err != nil || diff != "" {
		t.Errorf("EUR totals beside a PLN total out of range (%v) (-want +got):\n%s", err, diff)
	}
}

// testBacklog checks the count of pending deliveries, the oldest one, the
// count of dead ones, and the money operations in doubt and flagged.
func testBacklog(t *testing.T, s getpaid.Store) {
	br, ok := s.(getpaid.BacklogReporter)
	if !ok {
		t.Skip("the store does not implement getpaid.BacklogReporter")
	}
	b, err := br.Backlog(ctx(t))
	if err != nil || b.Pending != 0 || !b.Oldest.IsZero() || b.Dead != 0 {
		t.Fatalf("Backlog of an empty store = %+v, %v; want nothing pending", b, err)
	}
	p := newPayment("o-bl", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers...)})
	mustUpdate(t, s, p.ID, deliver(prepare("BL")))
	b, err = br.Backlog(ctx(t))
	if err != nil || b.Pending != 4 || !b.Oldest.Equal(p.CreatedAt) {
		t.Fatalf("Backlog = %+v, %v; want 4 pending, the oldest written at %v", b, err, p.CreatedAt)
	}
	now := time.Now()
	got := claim(t, s, "w", now, 10, consumers...)
	var results []getpaid.DeliveryResult
	for i, c := range got {
		// the first one's retries ran out: dead, no longer pending
		results = append(results, getpaid.DeliveryResult{ID: c.Delivery.ID, Owner: "w", Delivered: i > 0, Dead: i == 0, Attempt: getpaid.Attempt{At: now}})
	}
	if err := s.FinishDeliveries(ctx(t), results); err != nil {
		t.Fatal(err)
	}
	b, err = br.Backlog(ctx(t))
	if err != nil || len(results) == 0 || b.Pending != 4-int64(len(results)) || b.Dead != 1 {
		t.Fatalf("Backlog after %d finished (one dead) = %+v, %v", len(results), b, err)
	}
	if b.InDoubt != 0 || b.Flagged != 0 {
		t.Fatalf("Backlog without operations = %+v; want none in doubt or flagged", b)
	}
	// Money operations: one in doubt (its answer lost), one flagged for an
	// operator while pending, one settled and flagged (the broker
	// contradicted how it ended: counted too, until an operator clears
	// it), one settled.
	q := paidPayment(t, s, "o-bl-ops")
	doubt, flagged, settled, done := refundOp(q, 1000, "k-doubt"), refundOp(q, 1000, "k-flagged"), refundOp(q, 1000, "k-settled"), refundOp(q, 1000, "k-done")
	doubt.State = getpaid.OpUnknown
	flagged.State, flagged.Flagged = getpaid.OpPending, true
	settled.State, settled.Flagged = getpaid.OpFailed, true
	done.State = getpaid.OpFailed
	for _, op := range []*getpaid.Operation{doubt, flagged, settled, done} {
		mustUpdate(t, s, q.ID, askRefund(op))
	}
	b, err = br.Backlog(ctx(t))
	if err != nil || b.InDoubt != 1 || b.Flagged != 2 {
		t.Fatalf("Backlog with an operation in doubt, one flagged, one settled and flagged = %+v, %v; want 1 in doubt and 2 flagged", b, err)
	}
}

// testReady checks that an open, migrated store is ready.
func testReady(t *testing.T, s getpaid.Store) {
	r, ok := s.(getpaid.Readier)
	if !ok {
		t.Skip("the store does not implement getpaid.Readier")
	}
	if err := r.Ready(ctx(t)); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}
