package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

// testAppliedKeys lists the event keys applied to one payment that begin
// with a prefix, in byte order, whether the mutation changed the payment
// or not (a second transaction is recorded by a key alone): never another
// payment's, nor a key of another prefix.
func testAppliedKeys(t *testing.T, s getpaid.Store) {
	l, ok := s.(getpaid.AppliedKeyLister)
	if !ok {
		t.Skip("store does not implement getpaid.AppliedKeyLister")
	}
	p := newPayment("o-ak", 100, "PLN")
	q := newPayment("o-ak2", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	mustCreate(t, s, q, getpaid.CreateOptions{})
	mustUpdate(t, s, p.ID, observe("dummy:paid", paidObservation(p)))
	nothing := func(*getpaid.Payment) (bool, error) { return false, nil }
	for _, k := range []string{"dummy/second-transaction:T2", "dummy/second-transaction:T10", "dummy2/second-transaction:T3", "dummy/second-transaction:Ż"} {
		mustUpdate(t, s, p.ID, getpaid.Mutation{EventKey: k, Apply: nothing})
	}
	mustUpdate(t, s, q.ID, getpaid.Mutation{EventKey: "dummy/second-transaction:T9", Apply: nothing})
	tests := []struct {
		name, id, prefix string
		want             []string
	}{
		{"one backend's second transactions", p.ID, "dummy/second-transaction:",
			[]string{"dummy/second-transaction:T10", "dummy/second-transaction:T2", "dummy/second-transaction:Ż"}},
		{"every key", p.ID, "", []string{"dummy/second-transaction:T10", "dummy/second-transaction:T2",
			"dummy/second-transaction:Ż", "dummy2/second-transaction:T3", "dummy:paid"}},
		{"another payment's", q.ID, "dummy/second-transaction:", []string{"dummy/second-transaction:T9"}},
		{"a prefix nothing has", p.ID, "payu/", nil},
		{"a payment that does not exist", "pay_none", "", nil},
		{"an id that is not text", "pay_\x00\xff", "", nil},
	}
	for _, tt := range tests {
		got, err := l.AppliedKeys(ctx(t), tt.id, tt.prefix)
		if err != nil {
			t.Errorf("%s: AppliedKeys(%q, %q): %v", tt.name, tt.id, tt.prefix, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
			t.Errorf("%s: AppliedKeys(%q, %q) (-want +got):\n%s", tt.name, tt.id, tt.prefix, diff)
		}
	}
}

// testMarks records a mutation's Marks with its EventKey, in its
// transaction: a key recorded before stays (no ErrDuplicateEvent, not in
// NewMarks), the function sees the payment as Apply left it and whether it
// changed, and a mutation Apply refuses records none.
func testMarks(t *testing.T, s getpaid.Store) {
	p := newPayment("o-marks", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	nothing := func(*getpaid.Payment) (bool, error) { return false, nil }
	mustUpdate(t, s, p.ID, getpaid.Mutation{EventKey: "dummy/second-transaction:T1", Apply: nothing})
	var seen bool
	paid := observe("dummy:paid", paidObservation(p))
	paid.Marks = func(q *getpaid.Payment, changed bool) []string {
		seen = changed && q.Captured == 100
		return []string{"dummy/second-transaction:T1", "dummy/second-transaction-refunded:T1", ""}
	}
	res := mustUpdate(t, s, p.ID, paid)
	if want := []string{"dummy/second-transaction-refunded:T1"}; !slices.Equal(res.NewMarks, want) {
		t.Errorf("NewMarks %q; want %q (T1 recorded before)", res.NewMarks, want)
	}
	if !seen {
		t.Error("Marks did not see the payment as Apply left it, changed")
	}
	_, err := s.UpdatePayment(ctx(t), p.ID, getpaid.Mutation{EventKey: "dummy:refused",
		Apply: func(*getpaid.Payment) (bool, error) { return false, getpaid.ErrAmountMismatch },
		Marks: func(*getpaid.Payment, bool) []string { return []string{"dummy/second-transaction:T2"} }})
	if !errors.Is(err, getpaid.ErrAmountMismatch) {
		t.Fatalf("a refused mutation: %v; want ErrAmountMismatch", err)
	}
	for key, want := range map[string]bool{"dummy:paid": true, "dummy/second-transaction:T1": true,
		"dummy/second-transaction-refunded:T1": true, "dummy/second-transaction:T2": false, "dummy:refused": false} {
		got, err := s.EventApplied(ctx(t), p.ID, key)
		if err != nil || got != want {
			t.Errorf("EventApplied(%q) = %v, %v; want %v", key, got, err, want)
		}
	}
}
