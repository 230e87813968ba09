package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

// viewTests check the optional getpaid.PaymentViewer; they skip on a store
// without it.
var viewTests = []test{
	{"SameAsSeparateReads", testViewSame, nil},
	{"OneSnapshot", testViewSnapshot, nil},
	{"AcrossHandles", nil, testViewAcross},
}

// viewer returns s as a PaymentViewer, or skips t when s is none or
// answers getpaid.ErrNotSupported (a wrapper around a store without it).
func viewer(t *testing.T, s getpaid.Store) getpaid.PaymentViewer {
	t.Helper()
	pv, ok := s.(getpaid.PaymentViewer)
	if !ok {
		t.Skip("store does not implement getpaid.PaymentViewer")
	}
	if _, err := pv.ViewPayment(ctx(t), getpaid.ViewRequest{PaymentID: "pay_probe"}); errors.Is(err, getpaid.ErrNotSupported) {
		t.Skip("store answers getpaid.ErrNotSupported to ViewPayment")
	}
	return pv
}

// mustView reads the view of payment id.
func mustView(t *testing.T, pv getpaid.PaymentViewer, id string) *getpaid.PaymentView {
	t.Helper()
	v, err := pv.ViewPayment(ctx(t), getpaid.ViewRequest{PaymentID: id})
	if err != nil {
		t.Fatalf("ViewPayment(%s): %v", id, err)
	}
	return v
}

// separateView is the view of payment id made of the Store's separate
// reads: the payment, its history, every page of its operations.
func separateView(t *testing.T, s getpaid.Store, id string) *getpaid.PaymentView {
	t.Helper()
	v := &getpaid.PaymentView{Payment: mustGet(t, s, id), History: mustHistory(t, s, id)}
	f := getpaid.OperationFilter{PaymentID: id, Limit: 2}
	for {
		page, err := s.Operations(ctx(t), f)
		if err != nil {
			t.Fatal(err)
		}
		v.Operations = append(v.Operations, page.Operations...)
		if page.NextCursor == "" {
			return v
		}
		f.Cursor = page.NextCursor
	}
}

// testViewSame checks that a view holds what the separate reads return:
// the payment, its history oldest first, and all its operations (not
// another payment's) newest first; a payment that never moved has an empty
// history and no operations; a missing payment is ErrNotFound.
func testViewSame(t *testing.T, s getpaid.Store) {
	pv := viewer(t, s)
	fresh := newPayment("o-view-new", 700, "EUR")
	mustCreate(t, s, fresh, getpaid.CreateOptions{})
	v := mustView(t, pv, fresh.ID)
	if diff := cmp.Diff(mustGet(t, s, fresh.ID), v.Payment, cmpOpts); diff != "" {
		t.Errorf("view of a new payment (-Payment +view):\n%s", diff)
	}
	if len(v.History) != 0 || len(v.Operations) != 0 {
		t.Errorf("a new payment's view has history %+v and operations %+v, want none", v.History, v.Operations)
	}

	p := paidPayment(t, s, "o-view")
	other := paidPayment(t, s, "o-view-other")
	// History and no operations (a store may read such a payment another way).
	if diff := cmp.Diff(separateView(t, s, p.ID), mustView(t, pv, p.ID), cmpOpts); diff != "" {
		t.Errorf("view of a paid payment without operations (-separate reads +view):\n%s", diff)
	}
	var ids []string
	for i := range 5 {
		op := refundOp(p, 100, fmt.Sprint("k", i))
		mustUpdate(t, s, p.ID, askRefund(op))
		mustUpdate(t, s, other.ID, askRefund(refundOp(other, 100, fmt.Sprint("k", i))))
		ids = append(ids, op.ID)
	}
	v = mustView(t, pv, p.ID)
	if diff := cmp.Diff(separateView(t, s, p.ID), v, cmpOpts); diff != "" {
		t.Errorf("view (-separate reads +view):\n%s", diff)
	}
	var got []string
	for _, op := range v.Operations {
		got = append(got, op.ID)
	}
	if want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}; !cmp.Equal(want, got) {
		t.Errorf("operations %v, want newest first %v", got, want)
	}
	if len(v.History) != 3 || v.History[0].To != getpaid.StatusPrepared || v.History[2].To != getpaid.StatusRefundStarted {
		t.Errorf("history %+v, want new -> prepared -> paid -> refund_started", v.History)
	}
	_, err := pv.ViewPayment(ctx(t), getpaid.ViewRequest{PaymentID: "pay_missing"})
	wantErr(t, "ViewPayment of a missing payment", err, getpaid.ErrNotFound)
}

// testViewSnapshot reads views while refunds are asked: every view must
// show the payment and its operations as of one moment (the refunds the
// payment counts as asked are exactly its operations).
func testViewSnapshot(t *testing.T, s getpaid.Store) {
	pv := viewer(t, s)
	p := paidPayment(t, s, "o-view-snap")
	const asks = 20
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range asks {
			if _, err := s.UpdatePayment(ctx(t), p.ID, askRefund(refundOp(p, 100, fmt.Sprint("k", i)))); err != nil {
				t.Errorf("ask refund %d: %v", i, err)
				return
			}
		}
	})
	check := func(v *getpaid.PaymentView) {
		var sum int64
		for _, op := range v.Operations {
			sum += op.Amount.Minor
		}
		if sum != v.Payment.RefundAsked {
			t.Errorf("view: payment version %d has %d refund asked, its %d operations sum to %d",
				v.Payment.Version, v.Payment.RefundAsked, len(v.Operations), sum)
		}
	}
	for range 4 {
		wg.Go(func() {
			for {
				v, err := pv.ViewPayment(ctx(t), getpaid.ViewRequest{PaymentID: p.ID})
				if err != nil {
					t.Errorf("ViewPayment: %v", err)
					return
				}
				check(v)
				if len(v.Operations) == asks || t.Failed() {
					return
				}
			}
		})
	}
	wg.Wait()
	check(mustView(t, pv, p.ID))
}

// testViewAcross checks that a view on one handle shows at once what
// another handle wrote.
func testViewAcross(t *testing.T, db DB) {
	hs := handles(t, db, 2)
	a, b := hs[0], hs[1]
	pv := viewer(t, b)
	p := paidPayment(t, a, "o-view-across")
	op := refundOp(p, 2500, "k")
	res := mustUpdate(t, a, p.ID, askRefund(op))
	v := mustView(t, pv, p.ID)
	if diff := cmp.Diff(res.Payment, v.Payment, cmpOpts); diff != "" {
		t.Errorf("payment changed on A, viewed on B (-A +B):\n%s", diff)
	}
	if len(v.Operations) != 1 || v.Operations[0].ID != op.ID || len(v.History) != 3 {
		t.Errorf("B's view of A's payment: history %+v, operations %+v", v.History, v.Operations)
	}
}
