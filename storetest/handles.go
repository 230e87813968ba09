package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

// handleTests run across several handles on one database, as several
// getpaid processes sharing it would: every rule of the Store contract holds
// across them, and what one handle wrote the others read at once.
var handleTests = []test{
	{"SameEventOnce", nil, testHandlesSameEventOnce},
	{"NoLostUpdates", nil, testHandlesNoLostUpdates},
	{"OneLivePerOrder", nil, testHandlesOneLive},
	{"CreateKeyOnce", nil, testHandlesCreateKey},
	{"StaleClaims", nil, testHandlesStaleClaims},
	{"ReadsAcross", nil, testHandlesReadsAcross},
	{"CloseOne", nil, testHandlesCloseOne},
	{"DeliveryClaims", nil, testHandlesDeliveryClaims},
	{"OperationKeyOnce", nil, testHandlesOperationKey},
	{"OperationClaims", nil, testHandlesOperationClaims},
	{"EveryFieldStored", nil, testHandlesEveryFieldStored},
	{"EveryOperationFieldStored", nil, testHandlesEveryOperationFieldStored},
}

// testHandlesOperationClaims claims due operations from three handles at
// once, pages of 3: each is listed exactly once while claimed.
func testHandlesOperationClaims(t *testing.T, db DB) {
	const n = 20
	hs := handles(t, db, 3)
	p := paidPayment(t, hs[0], "o-h-oc")
	now := soon()
	for i := range n {
		op := refundOp(p, 100, "")
		mustUpdate(t, hs[i%3], p.ID, askRefund(op))
		mustUpdate(t, hs[(i+1)%3], p.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
			Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
				o.State, o.NextCheckAt = getpaid.OpUnknown, now.Add(-time.Duration(i)*time.Second)
				return true, nil
			}}})
	}
	claimEachOnce(t, "operation", n, 6, func(g int) ([]string, error) {
		ops, err := hs[g%3].DueOperations(ctx(t), getpaid.DueRequest{Now: now, Limit: 3, Claim: time.Minute})
		var ids []string
		for _, op := range ops {
			ids = append(ids, op.ID)
		}
		return ids, err
	})
	if ops, err := hs[1].DueOperations(ctx(t), getpaid.DueRequest{Now: now.Add(2 * time.Minute), Limit: 50}); err != nil || len(ops) != n {
		t.Errorf("after the claims ran out: %d due, %v; want %d", len(ops), err, n)
	}
}

// testHandlesDeliveryClaims claims deliveries from three handles at once:
// each is handed out exactly once; its owner finishes it from another
// handle, and a handle that does not own it cannot.
func testHandlesDeliveryClaims(t *testing.T, db DB) {
	const n = 30
	hs := handles(t, db, 3)
	for i := range n {
		mustCreate(t, hs[i%3], newPayment(fmt.Sprintf("o-h-dc-%d", i), 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers[0])})
	}
	now := soon()
	var (
		mu     sync.Mutex
		owners = map[string]string{} // delivery id -> owner
		wg     sync.WaitGroup
	)
	for g := range 9 {
		wg.Go(func() {
			owner := fmt.Sprint("w", g)
			got, err := hs[g%3].ClaimDeliveries(ctx(t), getpaid.ClaimRequest{Owner: owner, Now: now, Lease: time.Minute, Limit: 4, Consumers: consumers[:1]})
			if err != nil {
				t.Errorf("ClaimDeliveries on handle %d: %v", g%3, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, d := range got {
				if prev, ok := owners[d.Delivery.ID]; ok {
					t.Errorf("delivery %s handed to %s and %s", d.Delivery.ID, prev, owner)
				}
				owners[d.Delivery.ID] = owner
			}
		})
	}
	wg.Wait()
	if len(owners) != n {
		t.Fatalf("handed out %d deliveries, want all %d", len(owners), n)
	}
	var id, owner string
	for id, owner = range owners {
		break
	}
	if err := hs[1].FinishDeliveries(ctx(t), []getpaid.DeliveryResult{{ID: id, Owner: "intruder", Delivered: true, Attempt: getpaid.Attempt{At: now, Status: 200}}}); err != nil {
		t.Fatalf("FinishDeliveries by another owner: %v", err)
	}
	if err := hs[2].FinishDeliveries(ctx(t), []getpaid.DeliveryResult{{ID: id, Owner: owner, Delivered: true, Attempt: getpaid.Attempt{At: now, Status: 200}}}); err != nil {
		t.Fatalf("FinishDeliveries by its owner: %v", err)
	}
	page, err := hs[0].Deliveries(ctx(t), getpaid.DeliveryFilter{State: getpaid.DeliveryDelivered})
	if err != nil || len(page.Deliveries) != 1 || page.Deliveries[0].ID != id {
		t.Errorf("delivered, read on a third handle: %+v, %v; want only %s", page, err, id)
	}
}

// testHandlesOperationKey asks for one refund with one idempotency key from
// three handles at once: one operation is written, the others refused, and
// the payment reserves the amount once.
func testHandlesOperationKey(t *testing.T, db DB) {
	hs := handles(t, db, 3)
	p := paidPayment(t, hs[0], "o-h-key")
	var (
		mu       sync.Mutex
		won, dup int
		wg       sync.WaitGroup
	)
	for i := range 12 {
		wg.Go(func() {
			_, err := hs[i%3].UpdatePayment(ctx(t), p.ID, askRefund(refundOp(p, 1000, "same-key")))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, getpaid.ErrConflict):
				dup++
			default:
				t.Errorf("UpdatePayment on handle %d: %v", i%3, err)
			}
		})
	}
	wg.Wait()
	if won != 1 || dup != 11 {
		t.Errorf("won %d, refused %d; want 1 and 11", won, dup)
	}
	if got := mustGet(t, hs[1], p.ID); got.RefundAsked != 1000 {
		t.Errorf("refund asked %d, want 1000 once", got.RefundAsked)
	}
	page, err := hs[2].Operations(ctx(t), getpaid.OperationFilter{PaymentID: p.ID})
	if err != nil || len(page.Operations) != 1 {
		t.Errorf("operations: %+v, %v; want one", page, err)
	}
}

// handles opens n handles on db.
func handles(t *testing.T, db DB, n int) []getpaid.Store {
	t.Helper()
	out := make([]getpaid.Store, n)
	for i := range out {
		out[i] = db.Open(t)
	}
	return out
}

// testHandlesSameEventOnce applies one broker event from 60 goroutines spread
// over three handles: exactly one application wins, whatever the handle.
func testHandlesSameEventOnce(t *testing.T, db DB) {
	const n = 60
	hs := handles(t, db, 3)
	p := newPayment("o-h-once", 4999, "PLN")
	mustCreate(t, hs[0], p, getpaid.CreateOptions{})
	mustUpdate(t, hs[1], p.ID, prepare("H-ONCE"))
	obs := paidObservation(p)
	var (
		wg            sync.WaitGroup
		mu            sync.Mutex
		won, dup, bad int
	)
	for i := range n {
		wg.Go(func() {
			res, err := hs[i%3].UpdatePayment(ctx(t), p.ID, observe("dummy:h-once", obs))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, getpaid.ErrDuplicateEvent):
				dup++
			case err != nil:
				bad++
				t.Errorf("UpdatePayment on handle %d: %v", i%3, err)
			case res.Changed:
				won++
			default:
				bad++
				t.Errorf("UpdatePayment on handle %d: applied without a change", i%3)
			}
		})
	}
	wg.Wait()
	if won != 1 || dup != n-1 || bad != 0 {
		t.Errorf("won %d, duplicates %d, other %d; want 1, %d, 0", won, dup, bad, n-1)
	}
	for i, s := range hs {
		got := mustGet(t, s, p.ID)
		if got.Status != getpaid.StatusPaid || got.Captured != 4999 || got.Version != 3 {
			t.Errorf("handle %d reads status %s captured %d version %d", i, got.Status, got.Captured, got.Version)
		}
		if h := mustHistory(t, s, p.ID); len(h) != 2 || h[1].To != getpaid.StatusPaid {
			t.Errorf("handle %d: History = %+v, want new->prepared, prepared->paid", i, h)
		}
	}
	paid := 0
	for _, e := range allEvents(t, hs[2], p.ID) {
		if e.To == getpaid.StatusPaid {
			paid++
		}
	}
	if paid != 1 {
		t.Errorf("%d paid status events in the outbox, want 1", paid)
	}
}

// testHandlesNoLostUpdates runs read-modify-write mutations from three
// handles at once: every one is kept.
func testHandlesNoLostUpdates(t *testing.T, db DB) {
	const n = 30
	hs := handles(t, db, 3)
	p := newPayment("o-h-inc", 1000, "PLN")
	mustCreate(t, hs[0], p, getpaid.CreateOptions{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := hs[i%3].UpdatePayment(ctx(t), p.ID, getpaid.Mutation{
				Cause: "increment",
				Apply: func(q *getpaid.Payment) (bool, error) {
					q.Locked++
					return true, nil
				},
			})
			if err != nil {
				t.Errorf("UpdatePayment on handle %d: %v", i%3, err)
			}
		})
	}
	wg.Wait()
	for i, s := range hs {
		if got := mustGet(t, s, p.ID); got.Locked != n || got.Version != 1+n {
			t.Errorf("handle %d after %d increments: Locked %d, Version %d; want %d, %d", i, n, got.Locked, got.Version, n, 1+n)
		}
	}
}

// testHandlesOneLive creates payments of one order from three handles at
// once under the one-live-payment policy: exactly one is created.
func testHandlesOneLive(t *testing.T, db DB) {
	const n = 30
	hs := handles(t, db, 3)
	raceOneLive(t, n, "o-h-live", func(i int) getpaid.Store { return hs[i%3] })
	ps, err := byOrder(t, hs[1], "o-h-live")
	if err != nil || len(ps) != 1 {
		t.Fatalf("payments of the order = %d, %v; want 1", len(ps), err)
	}
	// Once it failed, another handle may create the next one.
	mustUpdate(t, hs[2], ps[0].ID, failed())
	mustCreate(t, hs[0], newPayment("o-h-live", 100, "PLN"), getpaid.CreateOptions{OneLivePerOrder: true})
}

// testHandlesStaleClaims claims waiting payments from two handles at once:
// no payment is listed to both, and none is listed again while claimed.
func testHandlesStaleClaims(t *testing.T, db DB) {
	hs := handles(t, db, 2)
	var sls []getpaid.StaleLister
	for _, s := range hs {
		sl, ok := s.(getpaid.StaleLister)
		if !ok {
			t.Skip("store does not implement getpaid.StaleLister")
		}
		sls = append(sls, sl)
	}
	const n = 40
	prep := &getpaid.Mutation{Cause: "prepared", Apply: func(q *getpaid.Payment) (bool, error) {
		return true, getpaid.MarkPrepared(q, "", &getpaid.Redirect{Method: "GET", URL: "https://b.example"})
	}}
	for i := range n {
		mustCreate(t, hs[i%2], newPayment("o-h-claim", 100, "PLN"), getpaid.CreateOptions{Then: prep})
	}
	now := soon()
	claim := func(sl getpaid.StaleLister, at time.Time) ([]*getpaid.Payment, error) {
		return sl.StalePayments(ctx(t), getpaid.StaleRequest{Now: at, UpdatedBefore: at, Limit: 7, Claim: time.Minute})
	}
	// Each handle claims pages of 7 until nothing is left; together they
	// must list every payment exactly once.
	claimEachOnce(t, "payment", n, len(sls), func(g int) ([]string, error) {
		got, err := claim(sls[g], now)
		var ids []string
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		return ids, err
	})
	for i, sl := range sls {
		if got, err := claim(sl, now.Add(30*time.Second)); err != nil || len(got) != 0 {
			t.Errorf("handle %d before the claims ran out: %d listed, %v; want none", i, len(got), err)
		}
	}
	if got, err := claim(sls[1], now.Add(2*time.Minute)); err != nil || len(got) != 7 {
		t.Errorf("after the claims ran out: %d listed, %v; want a page of 7", len(got), err)
	}
}

// testHandlesReadsAcross checks that what one handle writes another reads at
// once: payments, lookups, listings, history, applied events and the outbox.
func testHandlesReadsAcross(t *testing.T, db DB) {
	hs := handles(t, db, 2)
	a, b := hs[0], hs[1]
	p := fullPayment("o-h-read")
	mustCreate(t, a, p, getpaid.CreateOptions{})
	if diff := cmp.Diff(p, mustGet(t, b, p.ID), cmpOpts); diff != "" {
		t.Fatalf("payment created on A, read on B (-A +B):\n%s", diff)
	}
	q := newPayment("o-h-read", 500, "PLN")
	mustCreate(t, b, q, getpaid.CreateOptions{})
	res := mustUpdate(t, b, q.ID, prepare("H-READ"))
	got, err := a.PaymentByExternalID(ctx(t), "dummy", "H-READ")
	if err != nil {
		t.Fatalf("A finds B's external id: %v", err)
	}
	if diff := cmp.Diff(res.Payment, got, cmpOpts); diff != "" {
		t.Errorf("payment prepared on B, read on A (-B +A):\n%s", diff)
	}
	res = mustUpdate(t, a, q.ID, observe("dummy:h-read", paidObservation(q)))
	if diff := cmp.Diff(res.Payment, mustGet(t, b, q.ID), cmpOpts); diff != "" {
		t.Errorf("payment paid on A, read on B (-A +B):\n%s", diff)
	}
	if h := mustHistory(t, b, q.ID); len(h) != 2 || h[1].To != getpaid.StatusPaid {
		t.Errorf("B's history of a payment changed on A: %+v", h)
	}
	if applied, err := b.EventApplied(ctx(t), q.ID, "dummy:h-read"); err != nil || !applied {
		t.Errorf("B: EventApplied of an event applied on A = %v, %v", applied, err)
	}
	if _, err := b.UpdatePayment(ctx(t), q.ID, observe("dummy:h-read", paidObservation(q))); !errors.Is(err, getpaid.ErrDuplicateEvent) {
		t.Errorf("B applies an event A applied: %v, want ErrDuplicateEvent", err)
	}
	ps, err := byOrder(t, b, "o-h-read")
	if err != nil || len(ps) != 2 || ps[0].ID != p.ID || ps[1].Status != getpaid.StatusPaid {
		t.Errorf("B lists the order: %d payments, %v", len(ps), err)
	}
	if evs := allEvents(t, b, ""); len(evs) != 4 {
		t.Fatalf("B sees %d events, want 4 (2 created, prepared, paid)", len(evs))
	}
	if diff := cmp.Diff(allEvents(t, a, q.ID), allEvents(t, b, q.ID), cmpOpts); diff != "" {
		t.Errorf("events of a payment read on A and on B differ (-A +B):\n%s", diff)
	}
}

// testHandlesCloseOne closes one handle: the others keep working on the
// same data.
func testHandlesCloseOne(t *testing.T, db DB) {
	hs := handles(t, db, 2)
	p := newPayment("o-h-close", 100, "PLN")
	mustCreate(t, hs[0], p, getpaid.CreateOptions{})
	if _, ok := db.(SharedDB); !ok {
		if err := hs[0].Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	mustUpdate(t, hs[1], p.ID, prepare("H-CLOSE"))
	if got := mustGet(t, hs[1], p.ID); got.Status != getpaid.StatusPrepared {
		t.Errorf("after closing the other handle: %s", got.Status)
	}
	again := db.Open(t)
	if got := mustGet(t, again, p.ID); got.Status != getpaid.StatusPrepared || got.ExternalID != "H-CLOSE" {
		t.Errorf("a handle opened later reads %s %q", got.Status, got.ExternalID)
	}
}

// claimEachOnce runs workers goroutines, each calling claim(worker) until it
// returns nothing, and checks that together they listed n distinct ids
// (what), each exactly once.
func claimEachOnce(t *testing.T, what string, n, workers int, claim func(worker int) ([]string, error)) {
	t.Helper()
	var (
		mu     sync.Mutex
		listed = map[string]int{}
		wg     sync.WaitGroup
	)
	for g := range workers {
		wg.Go(func() {
			for {
				ids, err := claim(g)
				if err != nil {
					t.Errorf("claim by worker %d: %v", g, err)
					return
				}
				if len(ids) == 0 {
					return
				}
				mu.Lock()
				for _, id := range ids {
					listed[id]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(listed) != n {
		t.Errorf("%d %ss listed, want %d", len(listed), what, n)
	}
	for id, k := range listed {
		if k != 1 {
			t.Errorf("%s %s listed %d times across handles", what, id, k)
		}
	}
}
