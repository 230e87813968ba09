package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/getpaid-go/getpaid"
)

// TestClaimSkipsHeldBacklog checks that a claim's work does not grow with
// the deliveries held behind their payment's first undelivered one (an
// endpoint down: each payment's later events are due, but wait for its
// first, which waits for its retry). A claim runs in the writer after every
// change that writes a delivery the dispatcher could not lease itself: one
// that walked every held delivery (6,000 held: 9 ms a claim, up to 50 a
// second) kept the writer from the payment writes. Counted in SQLite's
// virtual machine steps of the claim's read, which do not depend on time.
func TestClaimSkipsHeldBacklog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "held.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const c = "webhook:https://down.example/hook"
	subs := []getpaid.Subscription{{Consumer: c}}
	now := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond) // after every write below
	// hold writes n payments whose first event failed (retried in an hour)
	// and whose second is held behind it.
	n := 0
	hold := func(count int) {
		t.Helper()
		var ids []string
		for range count {
			n++
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: fmt.Sprintf("o-%d", n), Backend: "dummy",
				Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN")}
			if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{Deliver: subs}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		got, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "a", Now: now, Lease: time.Minute, Consumers: []string{c}})
		if err != nil {
			t.Fatal(err)
		}
		var results []getpaid.DeliveryResult
		for _, d := range got {
			if !slices.Contains(ids, d.Delivery.PaymentID) {
				continue // the ready one: its lease runs out
			}
			results = append(results, getpaid.DeliveryResult{ID: d.Delivery.ID, Owner: "a", NextAt: now.Add(time.Hour),
				Attempt: getpaid.Attempt{At: now, Error: "connection refused"}})
		}
		if len(results) != count {
			t.Fatalf("claim of the first events: %d; want %d", len(results), count)
		}
		if err := s.FinishDeliveries(ctx, results); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			res, err := s.UpdatePayment(ctx, id, getpaid.Mutation{Cause: "prepared", Deliver: subs,
				Lease: &getpaid.DeliveryLease{Owner: "disp", Now: now, Until: now.Add(time.Minute)},
				Apply: func(q *getpaid.Payment) (bool, error) {
					return true, getpaid.MarkPrepared(q, "ext_"+q.ID, &getpaid.Redirect{Method: "GET", URL: "https://broker.example/pay"})
				}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Deliveries) != 1 || len(res.Leased) != 0 {
				t.Fatalf("second event: %d deliveries, %d leased; want one, held", len(res.Deliveries), len(res.Leased))
			}
		}
	}
	// One delivery of another payment is claimable throughout.
	ready := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-ready", Backend: "dummy",
		Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN")}
	hold(20)
	if _, err := s.CreatePayment(ctx, ready, getpaid.CreateOptions{Deliver: subs}); err != nil {
		t.Fatal(err)
	}
	at := now.Add(2 * time.Minute) // the first claim's leases ran out
	few := claimSteps(t, s, c, at)
	hold(200)
	many := claimSteps(t, s, c, at)
	t.Logf("claim of one delivery: %d steps with 20 held, %d with 220", few, many)
	if many > few+few/2 {
		t.Errorf("claim of one delivery: %d steps with 20 held, %d with 220; want about the same", few, many)
	}
}

// claimSteps runs the read of a claim of consumer's deliveries at now on a
// connection of s's read pool and reports SQLite's virtual machine steps for
// it, checking it finds one delivery.
func claimSteps(t *testing.T, s *Store, consumer string, now time.Time) int {
	t.Helper()
	conn, err := s.read.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	steps := 0
	err = conn.Raw(func(dc any) error {
		raw := dc.(interface{ Raw() *sqlite3.Conn }).Raw()
		st, _, err := raw.Prepare(claimSQL(-1))
		if err != nil {
			return err
		}
		defer st.Close()
		for i, v := range []int64{0, nanos(now), nanos(now)} {
			if i == 0 {
				if err := st.BindText(1, consumer); err != nil {
					return err
				}
				continue
			}
			if err := st.BindInt64(i+1, v); err != nil {
				return err
			}
		}
		found := 0
		for st.Step() {
			found++
		}
		if err := st.Err(); err != nil {
			return err
		}
		if found != 1 {
			return fmt.Errorf("claim found %d deliveries; want 1", found)
		}
		steps = st.Status(sqlite3.STMTSTATUS_VM_STEP, false)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return steps
}

// A held delivery whose blocker left pending by a path that did not free it
// (a getpaid older than migration 014 recording the result on the same
// file) waits a minute at most: the claim's sweep frees it. The claim reads
// no held delivery, so without it that one waited for ever: a webhook never
// sent.
func TestHeldDeliveryFreedWhenNothingHoldsItBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "held.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const c = "webhook:https://shop.example/hook"
	subs := []getpaid.Subscription{{Consumer: c}}
	now := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-1", Backend: "dummy",
		Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN")}
	if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{Deliver: subs}); err != nil {
		t.Fatal(err)
	}
	first, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "a", Now: now, Lease: time.Minute, Consumers: []string{c}})
	if err != nil || len(first) != 1 {
		t.Fatalf("claim of the first event: %d (%v)", len(first), err)
	}
	res, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "prepared", Deliver: subs,
		Lease: &getpaid.DeliveryLease{Owner: "disp", Now: now, Until: now.Add(time.Minute)},
		Apply: func(q *getpaid.Payment) (bool, error) {
			return true, getpaid.MarkPrepared(q, "ext_"+q.ID, &getpaid.Redirect{Method: "GET", URL: "https://broker.example/pay"})
		}})
	if err != nil || len(res.Deliveries) != 1 || len(res.Leased) != 0 {
		t.Fatalf("second event: %v, want one delivery, held", err)
	}
	// An older getpaid delivers the first: it knows nothing of held.
	if _, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		return tx.execSQL("UPDATE deliveries SET state = 'delivered', lease_owner = '', lease_until = 0 WHERE id = ?", first[0].Delivery.ID)
	}); err != nil {
		t.Fatal(err)
	}
	claim := func(at time.Time) []getpaid.ClaimedDelivery {
		t.Helper()
		got, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "b", Now: at, Lease: time.Minute, Consumers: []string{c}})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := claim(now.Add(2 * time.Minute)); len(got) != 1 || got[0].Delivery.ID != res.Deliveries[0].ID {
		t.Fatalf("claimed %d deliveries; want the second event's, freed by the sweep", len(got))
	}
}

// The sweep frees a consumer's held deliveries a minute at most after their
// blocker left pending, whichever consumers the claims name: the dispatcher
// names only those with room (one with 64 in flight, or paused, is left
// out). With one time for all consumers, a claim naming another consumer
// first after each minute swept that one alone, and the held delivery of
// the one left out waited, minute after minute.
func TestHeldSweepEachConsumer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "held.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const a, b = "webhook:https://a.example/hook", "webhook:https://b.example/hook"
	subs := []getpaid.Subscription{{Consumer: a}, {Consumer: b}}
	now := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-1", Backend: "dummy",
		Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN")}
	if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{Deliver: subs}); err != nil {
		t.Fatal(err)
	}
	claim := func(at time.Time, consumer string) []getpaid.ClaimedDelivery {
		t.Helper()
		got, err := s.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "o", Now: at, Lease: time.Minute, Consumers: []string{consumer}})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := claim(now, b)
	if len(first) != 1 {
		t.Fatalf("claim of b's first event: %d deliveries", len(first))
	}
	res, err := s.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "prepared", Deliver: subs,
		Lease: &getpaid.DeliveryLease{Owner: "disp", Now: now, Until: now.Add(time.Minute)},
		Apply: func(q *getpaid.Payment) (bool, error) {
			return true, getpaid.MarkPrepared(q, "ext_"+q.ID, &getpaid.Redirect{Method: "GET", URL: "https://broker.example/pay"})
		}})
	if err != nil || len(res.Deliveries) != 2 || len(res.Leased) != 0 {
		t.Fatalf("second event: %v, want two deliveries, held", err)
	}
	second := res.Deliveries[0].ID
	if res.Deliveries[1].Consumer == b {
		second = res.Deliveries[1].ID
	}
	// A getpaid older than migration 014 delivers b's first.
	if _, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		return tx.execSQL("UPDATE deliveries SET state = 'delivered', lease_owner = '', lease_until = 0 WHERE id = ?", first[0].Delivery.ID)
	}); err != nil {
		t.Fatal(err)
	}
	// Each minute, a claim naming a alone comes first.
	for m := 2; m <= 4; m++ {
		at := now.Add(time.Duration(m) * time.Minute)
		claim(at, a)
		if got := claim(at.Add(time.Second), b); len(got) == 1 && got[0].Delivery.ID == second {
			return
		}
	}
	t.Fatal("b's second event still held three minutes after its first was delivered")
}
