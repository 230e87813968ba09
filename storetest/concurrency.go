package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
)

var concurrencyTests = []test{
	{"SameEventOnce", testSameEventOnce, nil},
	{"NoLostUpdates", testNoLostUpdates, nil},
	{"ParallelCreates", testParallelCreates, nil},
}

// testSameEventOnce applies one broker event from 50 goroutines at once:
// exactly one application wins, the rest are duplicates.
func testSameEventOnce(t *testing.T, s getpaid.Store) {
	const n = 50
	p := newPayment("o-once", 4999, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	mustUpdate(t, s, p.ID, prepare("ONCE"))
	obs := paidObservation(p)
	var (
		wg                        sync.WaitGroup
		mu                        sync.Mutex
		won, dup, unchanged, errs int
		events                    []getpaid.Event
	)
	for range n {
		wg.Go(func() {
			res, err := s.UpdatePayment(ctx(t), p.ID, observe("dummy:once", obs))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, getpaid.ErrDuplicateEvent):
				dup++
			case err != nil:
				errs++
				t.Errorf("UpdatePayment: %v", err)
			case res.Changed:
				won++
				events = append(events, res.Events...)
			default:
				unchanged++
			}
		})
	}
	wg.Wait()
	if won != 1 || dup != n-1 || unchanged != 0 || errs != 0 {
		t.Errorf("won %d, duplicates %d, unchanged %d, errors %d; want 1, %d, 0, 0", won, dup, unchanged, errs, n-1)
	}
	got := mustGet(t, s, p.ID)
	if got.Status != getpaid.StatusPaid || got.Captured != 4999 || got.Version != 3 {
		t.Errorf("after race: status %s captured %d version %d", got.Status, got.Captured, got.Version)
	}
	if h := mustHistory(t, s, p.ID); len(h) != 2 || h[1].To != getpaid.StatusPaid {
		t.Errorf("History = %+v, want new->prepared, prepared->paid", h)
	}
	paid := 0
	for _, e := range allEvents(t, s, "") {
		if e.To == getpaid.StatusPaid {
			paid++
		}
	}
	if paid != 1 || len(events) != 1 {
		t.Errorf("paid events: %d pending, %d returned; want 1 and 1", paid, len(events))
	}
}

// testNoLostUpdates runs 20 concurrent read-modify-write mutations without
// event keys; every one must be kept.
func testNoLostUpdates(t *testing.T, s getpaid.Store) {
	const n = 20
	p := newPayment("o-inc", 1000, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := s.UpdatePayment(ctx(t), p.ID, getpaid.Mutation{
				Cause: "increment",
				Apply: func(q *getpaid.Payment) (bool, error) {
					q.Locked++
					return true, nil
				},
			})
			if err != nil {
				t.Errorf("UpdatePayment: %v", err)
			}
		})
	}
	wg.Wait()
	got := mustGet(t, s, p.ID)
	if got.Locked != n || got.Version != 1+n {
		t.Errorf("after %d increments: Locked %d, Version %d; want %d, %d", n, got.Locked, got.Version, n, 1+n)
	}
	if h := mustHistory(t, s, p.ID); len(h) != 0 {
		t.Errorf("amounts-only increments wrote history %v", h)
	}
}

// testParallelCreates creates payments of one order concurrently under the
// one-live-payment policy: exactly one wins.
func testParallelCreates(t *testing.T, s getpaid.Store) {
	raceOneLive(t, 20, "o-race", func(int) getpaid.Store { return s })
	if ps, err := byOrder(t, s, "o-race"); err != nil || len(ps) != 1 {
		t.Errorf("PaymentsByOrder = %d, %v; want 1", len(ps), err)
	}
}

// raceOneLive creates n payments of order at once under the
// one-live-payment policy, the i-th through at(i), and checks exactly one
// was created and the others refused with ErrLivePaymentExists.
func raceOneLive(t *testing.T, n int, order string, at func(i int) getpaid.Store) {
	t.Helper()
	raceCreates(t, n, getpaid.ErrLivePaymentExists, getpaid.CreateOptions{OneLivePerOrder: true},
		func() *getpaid.Payment { return newPayment(order, 100, "PLN") }, at)
}

// raceCreates creates n payments made by mk at once with opts, the i-th
// through at(i), and checks exactly one was created and the others refused
// with want.
func raceCreates(t *testing.T, n int, want error, opts getpaid.CreateOptions, mk func() *getpaid.Payment, at func(i int) getpaid.Store) {
	t.Helper()
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok, fails int
	)
	for i := range n {
		wg.Go(func() {
			err := create(t, at(i), mk(), opts)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, want):
				fails++
			default:
				t.Errorf("CreatePayment %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || fails != n-1 {
		t.Errorf("created %d, refused %d; want 1, %d", ok, fails, n-1)
	}
}
