package storetest

import (
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// testStalePayments checks the optional StaleLister: only payments waiting on
// their broker, within the time bounds, least recently updated first.
func testStalePayments(t *testing.T, s getpaid.Store) {
	sl, ok := s.(getpaid.StaleLister)
	if !ok {
		t.Skip("store does not implement getpaid.StaleLister")
	}
	start := time.Now().Add(-time.Second)
	prepare := &getpaid.Mutation{Cause: "prepared", Apply: func(q *getpaid.Payment) (bool, error) {
		return true, getpaid.MarkPrepared(q, "", &getpaid.Redirect{Method: "GET", URL: "https://b.example"})
	}}
	var waiting []string
	for i := 0; i < 3; i++ {
		p := newPayment("o-stale", 100, "PLN")
		mustCreate(t, s, p, getpaid.CreateOptions{Then: prepare})
		waiting = append(waiting, p.ID)
	}
	mustCreate(t, s, newPayment("o-stale", 100, "PLN"), getpaid.CreateOptions{}) // new: not at the broker yet
	paid := newPayment("o-stale", 100, "PLN")
	mustCreate(t, s, paid, getpaid.CreateOptions{Then: prepare})
	if _, err := s.UpdatePayment(ctx(t), paid.ID, getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) {
		return getpaid.Apply(q, &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: q.Amount, Full: true})
	}}); err != nil {
		t.Fatal(err)
	}
	// Touch the first one so it becomes the most recently updated.
	if _, err := s.UpdatePayment(ctx(t), waiting[0], getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) {
		return getpaid.Apply(q, &getpaid.Observation{Kind: getpaid.KindPending})
	}}); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second)
	stale := func(before, after time.Time, limit int) []*getpaid.Payment {
		t.Helper()
		got, err := sl.StalePayments(ctx(t), getpaid.StaleRequest{Now: time.Now(), UpdatedBefore: before, CreatedAfter: after, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got, err := sl.StalePayments(ctx(t), getpaid.StaleRequest{Now: time.Now(), UpdatedBefore: later, CreatedAfter: start, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	want := []string{waiting[1], waiting[2], waiting[0]}
	if len(ids) != 3 || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
		t.Fatalf("StalePayments = %v, want %v (prepared and charge_started, least recently updated first)", ids, want)
	}
	if got := stale(later, start, 2); len(got) != 2 {
		t.Fatalf("limit 2 gave %d", len(got))
	}
	if got := stale(start, start.Add(-time.Hour), 10); len(got) != 0 {
		t.Fatalf("nothing was updated before %v, got %d", start, len(got))
	}
	if got := stale(later, later, 10); len(got) != 0 {
		t.Fatalf("nothing was created after %v, got %d", later, len(got))
	}
	if got, _ := sl.StalePayments(ctx(t), getpaid.StaleRequest{Now: time.Now(), UpdatedBefore: later, CreatedBefore: start}); len(got) != 0 {
		t.Fatalf("nothing was created before %v, got %d", start, len(got))
	}
	if got, _ := sl.StalePayments(ctx(t), getpaid.StaleRequest{Now: time.Now(), UpdatedBefore: later, Backend: "payu"}); len(got) != 0 {
		t.Fatalf("no payu payment, got %d", len(got))
	}
}

// testStaleClaims checks that a claim keeps a waiting payment from being
// listed again, to any caller, until it runs out.
func testStaleClaims(t *testing.T, s getpaid.Store) {
	sl, ok := s.(getpaid.StaleLister)
	if !ok {
		t.Skip("store does not implement getpaid.StaleLister")
	}
	prepare := &getpaid.Mutation{Cause: "prepared", Apply: func(q *getpaid.Payment) (bool, error) {
		return true, getpaid.MarkPrepared(q, "", &getpaid.Redirect{Method: "GET", URL: "https://b.example"})
	}}
	for range 4 {
		mustCreate(t, s, newPayment("o-claim", 100, "PLN"), getpaid.CreateOptions{Then: prepare})
	}
	now := time.Now().Add(time.Second)
	claim := func(at time.Time, limit int) []*getpaid.Payment {
		t.Helper()
		got, err := sl.StalePayments(ctx(t), getpaid.StaleRequest{Now: at, UpdatedBefore: at, Limit: limit, Claim: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first, second := claim(now, 3), claim(now, 3)
	if len(first) != 3 || len(second) != 1 {
		t.Fatalf("claims of 3 then 3 got %d then %d, want 3 then the 1 left", len(first), len(second))
	}
	if second[0].ID == first[0].ID || second[0].ID == first[1].ID || second[0].ID == first[2].ID {
		t.Fatalf("payment %s listed to two claims", second[0].ID)
	}
	if got := claim(now.Add(30*time.Second), 10); len(got) != 0 {
		t.Fatalf("%d claimed payments listed again before the claim ran out", len(got))
	}
	if got := claim(now.Add(2*time.Minute), 10); len(got) != 4 {
		t.Fatalf("after the claims ran out: %d listed, want 4", len(got))
	}
}

// testStaleEnded checks StaleRequest.Ended: the cancelled payments (an
// expiry leaves a payment so), by their last change, claimed like waiting
// ones; not the waiting, failed or paid ones.
func testStaleEnded(t *testing.T, s getpaid.Store) {
	sl, ok := s.(getpaid.StaleLister)
	if !ok {
		t.Skip("store does not implement getpaid.StaleLister")
	}
	prepare := &getpaid.Mutation{Cause: "prepared", Apply: func(q *getpaid.Payment) (bool, error) {
		return true, getpaid.MarkPrepared(q, "", &getpaid.Redirect{Method: "GET", URL: "https://b.example"})
	}}
	start := time.Now().Add(-time.Second)
	ended := func(k getpaid.Kind) *getpaid.Payment {
		t.Helper()
		p := newPayment("o-ended", 100, "PLN")
		mustCreate(t, s, p, getpaid.CreateOptions{Then: prepare})
		if k == "" {
			return p
		}
		if _, err := s.UpdatePayment(ctx(t), p.ID, getpaid.Mutation{Cause: "expired", Apply: func(q *getpaid.Payment) (bool, error) {
			return getpaid.Apply(q, &getpaid.Observation{Kind: k, Amount: q.Amount, Full: true})
		}}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ended("") // still waiting
	cancelled := ended(getpaid.KindReleased)
	ended(getpaid.KindFailed)
	ended(getpaid.KindCaptured)
	later := time.Now().Add(time.Second)
	list := func(r getpaid.StaleRequest) []*getpaid.Payment {
		t.Helper()
		r.Ended = true
		got, err := sl.StalePayments(ctx(t), r)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := list(getpaid.StaleRequest{Now: later, UpdatedAfter: start}); len(got) != 1 || got[0].ID != cancelled.ID || got[0].Status != getpaid.StatusCancelled {
		t.Fatalf("Ended lists %d payments, want only the cancelled one %s", len(got), cancelled.ID)
	}
	if got := list(getpaid.StaleRequest{Now: later, UpdatedAfter: later}); len(got) != 0 {
		t.Fatalf("nothing changed after %v, got %d", later, len(got))
	}
	if got := list(getpaid.StaleRequest{Now: later, UpdatedAfter: start, Backend: "payu"}); len(got) != 0 {
		t.Fatalf("no payu payment, got %d", len(got))
	}
	if got := list(getpaid.StaleRequest{Now: later, UpdatedAfter: start, Claim: time.Hour}); len(got) != 1 {
		t.Fatalf("claim: %d listed, want 1", len(got))
	}
	if got := list(getpaid.StaleRequest{Now: later.Add(time.Minute), UpdatedAfter: start, Claim: time.Hour}); len(got) != 0 {
		t.Fatalf("a claimed payment listed again before its claim ran out: %d", len(got))
	}
	if got := list(getpaid.StaleRequest{Now: later.Add(2 * time.Hour), UpdatedAfter: start}); len(got) != 1 {
		t.Fatalf("after the claim ran out: %d listed, want 1", len(got))
	}
}
