package storetest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

var deliveryTests = []test{
	{"WrittenWithEvents", testDeliveriesWritten, nil},
	{"ClaimLeases", testClaimLeases, nil},
	{"ClaimRoom", testClaimRoom, nil},
	{"PaymentOrder", testDeliveryOrder, nil},
	{"HeldBehindFirst", testHeldBehindFirst, nil},
	{"Finish", testFinishDeliveries, nil},
	{"FinishByOtherOwnerIgnored", testFinishOtherOwner, nil},
	{"FinishOfFinishedIgnored", testFinishOfFinished, nil},
	{"NoOwnerRefused", testNoOwnerRefused, nil},
	{"FinishDiscarded", testFinishDiscarded, nil},
	{"FinishWithConsumerText", testFinishConsumerText, nil},
	{"AttemptHistory", testAttemptHistory, nil},
	{"Replay", testReplay, nil},
	{"RetryWaiting", testRetryWaiting, nil},
	{"Discard", testDiscard, nil},
	{"Backfill", testBackfill, nil},
	{"ConcurrentClaims", testConcurrentClaims, nil},
}

// consumers are the consumers the delivery tests write for.
var consumers = []string{"listener:shop", "webhook:https://a.example/hook"}

// subs subscribes consumers to every event type.
func subs(cs ...string) []getpaid.Subscription {
	var out []getpaid.Subscription
	for _, c := range cs {
		out = append(out, getpaid.Subscription{Consumer: c})
	}
	return out
}

// deliver is m delivering to consumers.
func deliver(m getpaid.Mutation) getpaid.Mutation {
	m.Deliver = subs(consumers...)
	return m
}

// claim claims up to limit deliveries for cs at now, leased for a minute.
func claim(t *testing.T, s getpaid.Store, owner string, now time.Time, limit int, cs ...string) []getpaid.ClaimedDelivery {
	t.Helper()
	got, err := s.ClaimDeliveries(ctx(t), getpaid.ClaimRequest{Owner: owner, Now: now, Lease: time.Minute, Limit: limit, Consumers: cs})
	if err != nil {
		t.Fatalf("ClaimDeliveries: %v", err)
	}
	return got
}

// testDeliveriesWritten checks that every event gets one pending delivery per
// consumer, written with it.
func testDeliveriesWritten(t *testing.T, s getpaid.Store) {
	p := newPayment("o-dw", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers...)})
	res := mustUpdate(t, s, p.ID, deliver(prepare("DW")))
	if len(res.Deliveries) != 2 || res.Deliveries[0].EventID != res.Events[0].ID {
		t.Fatalf("UpdateResult.Deliveries = %+v", res.Deliveries)
	}
	page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{PaymentID: p.ID})
	if err != nil || len(page.Deliveries) != 4 {
		t.Fatalf("Deliveries = %+v, %v; want 4 (2 events x 2 consumers)", page, err)
	}
	var all []string
	for _, d := range page.Deliveries {
		if d.State != getpaid.DeliveryPending || d.Attempts != 0 || d.ID != getpaid.DeliveryID(d.EventID, d.Consumer) {
			t.Errorf("new delivery %+v", d)
		}
		all = append(all, d.ID)
	}
	// By pages of 3: the same deliveries in the same order, each page at
	// most 3 and only the last one short.
	var paged []string
	pf := getpaid.DeliveryFilter{PaymentID: p.ID, Limit: 3}
	for range len(all) + 1 {
		pg, err := s.Deliveries(ctx(t), pf)
		if err != nil {
			t.Fatalf("Deliveries(%+v): %v", pf, err)
		}
		if n := len(pg.Deliveries); n > pf.Limit || pg.NextCursor != "" && n != pf.Limit {
			t.Errorf("Deliveries by pages of %d: a page of %d, next cursor %q", pf.Limit, n, pg.NextCursor)
		}
		for _, d := range pg.Deliveries {
			paged = append(paged, d.ID)
		}
		if pg.NextCursor == "" {
			break
		}
		pf.Cursor = pg.NextCursor
	}
	if !slices.Equal(paged, all) {
		t.Errorf("Deliveries by pages of 3 = %v, want %v as listed at once", paged, all)
	}
	only, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{EventID: res.Events[0].ID, Consumer: consumers[1]})
	if err != nil || len(only.Deliveries) != 1 || only.Deliveries[0].Consumer != consumers[1] {
		t.Fatalf("by event and consumer: %+v, %v", only, err)
	}
	// A subscription to another event type gets no delivery.
	createdOnly := []getpaid.Subscription{{Consumer: "webhook:https://b.example", Types: []getpaid.EventType{getpaid.EventPaymentCreated}}}
	q := newPayment("o-dw2", 100, "PLN")
	mustCreate(t, s, q, getpaid.CreateOptions{Deliver: createdOnly})
	res = mustUpdate(t, s, q.ID, getpaid.Mutation{Cause: "prepared", Apply: prepare("DW2").Apply, Deliver: createdOnly})
	if len(res.Deliveries) != 0 {
		t.Errorf("a status event went to a created-only subscription: %+v", res.Deliveries)
	}
	if page, _ := s.Deliveries(ctx(t), getpaid.DeliveryFilter{PaymentID: q.ID}); len(page.Deliveries) != 1 {
		t.Errorf("created-only subscription: %d deliveries, want 1", len(page.Deliveries))
	}
	// A mutation without consumers writes events but no deliveries.
	mustUpdate(t, s, p.ID, failed())
	if page, _ := s.Deliveries(ctx(t), getpaid.DeliveryFilter{PaymentID: p.ID}); len(page.Deliveries) != 4 {
		t.Errorf("an event without consumers got deliveries: %d", len(page.Deliveries))
	}
}

// testClaimLeases checks that a claimed delivery is not claimed again until
// its lease runs out, and only for the consumers asked for.
func testClaimLeases(t *testing.T, s getpaid.Store) {
	for i := range 3 {
		mustCreate(t, s, newPayment(fmt.Sprintf("o-cl-%d", i), 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers...)})
	}
	now := soon()
	if got := claim(t, s, "a", now, 10, "webhook:https://other.example"); len(got) != 0 {
		t.Fatalf("claimed %d deliveries of an unknown consumer", len(got))
	}
	first := claim(t, s, "a", now, 2, consumers[0])
	if len(first) != 2 || first[0].Event.ID == "" || first[0].Event.ID != first[0].Delivery.EventID {
		t.Fatalf("first claim: %+v", first)
	}
	rest := claim(t, s, "b", now, 10, consumers[0])
	if len(rest) != 1 {
		t.Fatalf("second claim got %d, want the 1 left", len(rest))
	}
	if got := claim(t, s, "c", now.Add(30*time.Second), 10, consumers[0]); len(got) != 0 {
		t.Fatalf("%d leased deliveries claimed again before the lease ran out", len(got))
	}
	if got := claim(t, s, "c", now.Add(2*time.Minute), 10, consumers[0]); len(got) != 3 {
		t.Fatalf("after the leases ran out: %d claimed, want 3", len(got))
	}
	if got := claim(t, s, "d", now, 10, consumers[1]); len(got) != 3 {
		t.Fatalf("the other consumer's deliveries: %d, want 3 (independent)", len(got))
	}
}

// testClaimRoom checks that a claim returns no more of a consumer's
// deliveries than its room, and that a consumer without room gets none while
// the others still get theirs.
func testClaimRoom(t *testing.T, s getpaid.Store) {
	for i := range 3 {
		mustCreate(t, s, newPayment(fmt.Sprintf("o-cr-%d", i), 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers...)})
	}
	now := soon()
	count := func(got []getpaid.ClaimedDelivery) map[string]int {
		n := map[string]int{}
		for _, c := range got {
			n[c.Delivery.Consumer]++
		}
		return n
	}
	req := func(owner string, room map[string]int) getpaid.ClaimRequest {
		return getpaid.ClaimRequest{Owner: owner, Now: now, Lease: time.Minute, Limit: 10, Consumers: consumers, Room: room}
	}
	got, err := s.ClaimDeliveries(ctx(t), req("a", map[string]int{consumers[0]: 0, consumers[1]: 2}))
	if n := count(got); err != nil || len(got) != 2 || n[consumers[1]] != 2 {
		t.Fatalf("rooms 0 and 2: %v, %v; want 2 of %s only", n, err, consumers[1])
	}
	got, err = s.ClaimDeliveries(ctx(t), req("b", map[string]int{consumers[0]: 1}))
	if n := count(got); err != nil || len(got) != 2 || n[consumers[0]] != 1 || n[consumers[1]] != 1 {
		t.Fatalf("room 1 for the first, none set for the second: %v, %v; want 1 and the 1 left", n, err)
	}
	last := req("c", map[string]int{consumers[0]: 5, consumers[1]: 5})
	last.Limit = math.MaxInt // a limit as large as it gets is no limit
	got, err = s.ClaimDeliveries(ctx(t), last)
	if n := count(got); err != nil || len(got) != 2 || n[consumers[0]] != 2 {
		t.Fatalf("room beyond what is due: %v, %v; want the 2 left of %s", n, err, consumers[0])
	}
}

// testDeliveryOrder checks that a consumer gets a payment's events in order:
// a delivery is not due while an earlier one of the same payment is pending.
func testDeliveryOrder(t *testing.T, s getpaid.Store) {
	p := newPayment("o-do", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers[0])})
	second := mustUpdate(t, s, p.ID, getpaid.Mutation{Cause: "prepared", Deliver: subs(consumers[0]), Apply: prepare("DO").Apply})
	other := newPayment("o-do2", 100, "PLN")
	mustCreate(t, s, other, getpaid.CreateOptions{Deliver: subs(consumers[0])})
	now := soon()
	got := claim(t, s, "a", now, 10, consumers[0])
	if len(got) != 2 || got[0].Delivery.PaymentID != p.ID || got[1].Delivery.PaymentID != other.ID {
		t.Fatalf("claim: %+v; want p's first event and other's, not p's second", got)
	}
	// p's first fails and is retried later: its second still waits.
	retry := now.Add(time.Hour)
	if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{{ID: got[0].Delivery.ID, Owner: "a", NextAt: retry,
		Attempt: getpaid.Attempt{At: now, Status: 500, Error: "HTTP 500"}}}); err != nil {
		t.Fatal(err)
	}
	if again := claim(t, s, "a", now.Add(2*time.Minute), 10, consumers[0]); len(again) != 1 || again[0].Delivery.PaymentID != other.ID {
		t.Fatalf("while p's first waits for its retry: %+v; want only other's (its lease ran out)", again)
	}
	due := claim(t, s, "b", retry, 10, consumers[0])
	if len(due) != 2 || due[0].Delivery.ID != got[0].Delivery.ID {
		t.Fatalf("at the retry: %+v", due)
	}
	results := []getpaid.DeliveryResult{}
	for _, d := range due {
		results = append(results, getpaid.DeliveryResult{ID: d.Delivery.ID, Owner: "b", Delivered: true, Attempt: getpaid.Attempt{At: retry, Status: 200}})
	}
	if err := s.FinishDeliveries(ctx(t), results); err != nil {
		t.Fatal(err)
	}
	next := claim(t, s, "b", retry, 10, consumers[0])
	if len(next) != 1 || next[0].Event.ID != second.Events[0].ID {
		t.Fatalf("after p's first was delivered: %+v; want p's second", next)
	}
}

// testHeldBehindFirst checks that deliveries written behind a payment's
// first, which waits for its retry (leased with their change to an owner
// that does not hold the first: held back), go out in order as each before
// them leaves pending, delivered or dead, and not before.
func testHeldBehindFirst(t *testing.T, s getpaid.Store) {
	c := consumers[1]
	p := newPayment("o-hbf", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(c)})
	now := soon()
	first := claim(t, s, "a", now, 10, c)
	if len(first) != 1 {
		t.Fatalf("claim: %+v; want the created event's", first)
	}
	retry := now.Add(time.Hour)
	finish := func(r getpaid.DeliveryResult) {
		t.Helper()
		if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{r}); err != nil {
			t.Fatal(err)
		}
	}
	finish(getpaid.DeliveryResult{ID: first[0].Delivery.ID, Owner: "a", NextAt: retry, Attempt: getpaid.Attempt{At: now, Status: 503, Error: "HTTP 503"}})
	lease := &getpaid.DeliveryLease{Owner: "disp", Now: now, Until: now.Add(time.Minute)}
	var later []string
	for _, m := range []getpaid.Mutation{prepare("HBF"), observe("dummy:hbf", &getpaid.Observation{ExternalID: "HBF", EventID: "hbf",
		Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true})} {
		m.Deliver, m.Lease = subs(c), lease
		res := mustUpdate(t, s, p.ID, m)
		if len(res.Deliveries) != 1 || len(res.Leased) != 0 {
			t.Fatalf("a change behind the first: %d deliveries, %d leased; want one, held back", len(res.Deliveries), len(res.Leased))
		}
		later = append(later, res.Deliveries[0].ID)
	}
	if got := claim(t, s, "b", now.Add(2*time.Minute), 10, c); len(got) != 0 {
		t.Fatalf("while the first waits for its retry: %+v; want none", got)
	}
	got := claim(t, s, "b", retry, 10, c)
	if len(got) != 1 || got[0].Delivery.ID != first[0].Delivery.ID {
		t.Fatalf("at the retry: %+v; want the first only", got)
	}
	finish(getpaid.DeliveryResult{ID: got[0].Delivery.ID, Owner: "b", Delivered: true, Attempt: getpaid.Attempt{At: retry, Status: 200}})
	got = claim(t, s, "b", retry, 10, c)
	if len(got) != 1 || got[0].Delivery.ID != later[0] {
		t.Fatalf("after the first was delivered: %+v; want the second only", got)
	}
	finish(getpaid.DeliveryResult{ID: got[0].Delivery.ID, Owner: "b", Dead: true, Attempt: getpaid.Attempt{At: retry, Status: 500, Error: "HTTP 500"}})
	got = claim(t, s, "b", retry, 10, c)
	if len(got) != 1 || got[0].Delivery.ID != later[1] {
		t.Fatalf("after the second died: %+v; want the third", got)
	}
}

// testFinishDeliveries checks the states and attempts results record.
func testFinishDeliveries(t *testing.T, s getpaid.Store) {
	for i := range 3 {
		mustCreate(t, s, newPayment(fmt.Sprintf("o-fd-%d", i), 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers[0])})
	}
	now := soon()
	got := claim(t, s, "a", now, 10, consumers[0])
	if len(got) != 3 {
		t.Fatalf("claimed %d", len(got))
	}
	at := now.Add(time.Millisecond)
	err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{
		{ID: got[0].Delivery.ID, Owner: "a", Delivered: true, Attempt: getpaid.Attempt{At: at, Status: 204, Duration: 3 * time.Millisecond}},
		{ID: got[1].Delivery.ID, Owner: "a", NextAt: now.Add(5 * time.Second), Attempt: getpaid.Attempt{At: at, Error: "connection refused"}},
		{ID: got[2].Delivery.ID, Owner: "a", Dead: true, Attempt: getpaid.Attempt{At: at, Status: 410, Error: "HTTP 410"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	state := func(id string) *getpaid.Delivery {
		page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{EventID: id})
		if err != nil || len(page.Deliveries) != 1 {
			t.Fatalf("Deliveries(%s): %+v, %v", id, page, err)
		}
		return page.Deliveries[0]
	}
	if d := state(got[0].Delivery.EventID); d.State != getpaid.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != 204 || !d.DeliveredAt.Equal(at) {
		t.Errorf("delivered: %+v", d)
	}
	if d := state(got[1].Delivery.EventID); d.State != getpaid.DeliveryPending || d.Attempts != 1 || d.LastError != "connection refused" || !d.NextAt.Equal(now.Add(5*time.Second)) {
		t.Errorf("to retry: %+v", d)
	}
	if d := state(got[2].Delivery.EventID); d.State != getpaid.DeliveryDead || d.LastStatus != 410 {
		t.Errorf("dead: %+v", d)
	}
	atts, err := s.Attempts(ctx(t), got[0].Delivery.ID)
	if err != nil || len(atts) != 1 || atts[0].Status != 204 || atts[0].Duration != 3*time.Millisecond || !atts[0].At.Equal(at) {
		t.Errorf("Attempts = %+v, %v", atts, err)
	}
	if got := claim(t, s, "a", now.Add(time.Second), 10, consumers[0]); len(got) != 0 {
		t.Errorf("claimed %d before the retry time", len(got))
	}
	if got := claim(t, s, "a", now.Add(6*time.Second), 10, consumers[0]); len(got) != 1 || got[0].Delivery.Attempts != 1 {
		t.Errorf("at the retry time: %+v", got)
	}
	for _, st := range []getpaid.DeliveryState{getpaid.DeliveryDelivered, getpaid.DeliveryDead, getpaid.DeliveryPending} {
		page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{State: st})
		if err != nil || len(page.Deliveries) != 1 || page.Deliveries[0].State != st {
			t.Errorf("Deliveries(state %s) = %+v, %v", st, page, err)
		}
	}
}

// testFinishDiscarded checks a delivery its consumer no longer takes (its
// events: narrowed since it was written): discarded, with its reason as its
// last error and in its attempts, out of the backlog, never claimed again,
// and no longer holding back its payment's later deliveries.
func testFinishDiscarded(t *testing.T, s getpaid.Store) {
	p := newPayment("o-fdi", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers[0])})
	second := mustUpdate(t, s, p.ID, getpaid.Mutation{Cause: "prepared", Deliver: subs(consumers[0]), Apply: prepare("FDI").Apply})
	now := soon()
	got := claim(t, s, "a", now, 10, consumers[0])
	if len(got) != 1 || got[0].Delivery.PaymentID != p.ID {
		t.Fatalf("claim: %+v; want p's first delivery only", got)
	}
	const why = "not sent: the consumer no longer takes payment.created events"
	if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{{ID: got[0].Delivery.ID, Owner: "a", Discarded: true,
		Attempt: getpaid.Attempt{At: now, Error: why}}}); err != nil {
		t.Fatal(err)
	}
	page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{EventID: got[0].Delivery.EventID})
	if err != nil || len(page.Deliveries) != 1 {
		t.Fatalf("Deliveries: %+v, %v", page, err)
	}
	if d := page.Deliveries[0]; d.State != getpaid.DeliveryDiscarded || d.LastError != why || !d.DeliveredAt.IsZero() || d.Attempts != 0 {
		t.Errorf("discarded delivery: %+v; want discarded, last error %q, never delivered, no attempt counted (it was not sent)", d, why)
	}
	if atts, err := s.Attempts(ctx(t), got[0].Delivery.ID); err != nil || len(atts) != 1 || atts[0].Error != why {
		t.Errorf("Attempts = %+v, %v; want one saying why it was not sent", atts, err)
	}
	next := claim(t, s, "a", now, 10, consumers[0])
	if len(next) != 1 || next[0].Event.ID != second.Events[0].ID {
		t.Fatalf("after p's first was discarded: %+v; want p's second at once", next)
	}
	if br, ok := s.(getpaid.BacklogReporter); ok {
		if b, err := br.Backlog(ctx(t)); err != nil || b.Pending != 1 || b.Dead != 0 {
			t.Errorf("Backlog = %+v, %v; want only p's second pending, nothing dead", b, err)
		}
	}
}

// testFinishConsumerText checks that a failed attempt is recorded whatever
// its error says: a listener's error quoting its ERP's answer may hold a NUL
// or bytes that are not UTF-8, which PostgreSQL refuses; were the result not
// written, the delivery would be sent again after every lease, for ever,
// never dead and with no attempt to show. They are kept as U+FFFD.
func testFinishConsumerText(t *testing.T, s getpaid.Store) {
	mustCreate(t, s, newPayment("o-fct", 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers[0])})
	now := soon()
	got := claim(t, s, "a", now, 10, consumers[0])
	if len(got) != 1 {
		t.Fatalf("claimed %d", len(got))
	}
	at := now.Add(time.Millisecond)
	err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{{ID: got[0].Delivery.ID, Owner: "a", NextAt: now.Add(time.Minute),
		Attempt: getpaid.Attempt{At: at, Error: "ERP: z\x00\xc5"}}})
	if err != nil {
		t.Fatalf("FinishDeliveries: %v", err)
	}
	const want = "ERP: z\uFFFD\uFFFD"
	page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{EventID: got[0].Delivery.EventID})
	if err != nil || len(page.Deliveries) != 1 {
		t.Fatalf("Deliveries: %+v, %v", page, err)
	}
	if d := page.Deliveries[0]; d.Attempts != 1 || d.LastError != want {
		t.Errorf("delivery after the attempt: %d attempts, last error %q; want 1, %q", d.Attempts, d.LastError, want)
	}
	atts, err := s.Attempts(ctx(t), got[0].Delivery.ID)
	if err != nil || len(atts) != 1 || atts[0].Error != want {
		t.Errorf("Attempts = %+v, %v; want one with error %q", atts, err, want)
	}
}

// testFinishOtherOwner checks that a result from an owner whose lease ran out
// and was taken over is ignored, whatever it says: a failure, a retry, or
// delivered at its first attempt (the common case, which a store may write
// its own way).
func testFinishOtherOwner(t *testing.T, s getpaid.Store) {
	for _, tc := range []struct {
		name string
		late getpaid.DeliveryResult
	}{
		{"dead", getpaid.DeliveryResult{Dead: true, Attempt: getpaid.Attempt{Error: "timeout"}}},
		{"retry", getpaid.DeliveryResult{NextAt: soon().Add(time.Hour), Attempt: getpaid.Attempt{Status: 503, Error: "HTTP 503"}}},
		{"delivered", getpaid.DeliveryResult{Delivered: true, Attempt: getpaid.Attempt{Status: 204, Duration: time.Millisecond}}},
	} {
		p := newPayment("o-fo-"+tc.name, 100, "PLN")
		mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers[0])})
		now := soon()
		old := claim(t, s, "slow", now, 10, consumers[0])
		taken := claim(t, s, "fast", now.Add(2*time.Minute), 10, consumers[0])
		if len(old) != 1 || len(taken) != 1 {
			t.Fatalf("%s: claims %d and %d", tc.name, len(old), len(taken))
		}
		late := tc.late
		late.ID, late.Owner, late.Attempt.At = old[0].Delivery.ID, "slow", now
		if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{late}); err != nil {
			t.Fatal(err)
		}
		page, _ := s.Deliveries(ctx(t), getpaid.DeliveryFilter{PaymentID: p.ID})
		if d := page.Deliveries[0]; d.State != getpaid.DeliveryPending || d.Attempts != 0 {
			t.Fatalf("%s: a result from a lost lease was recorded: %+v", tc.name, d)
		}
		if a, err := s.Attempts(ctx(t), old[0].Delivery.ID); err != nil || len(a) != 0 {
			t.Fatalf("%s: attempts after a result from a lost lease: %+v, %v", tc.name, a, err)
		}
		if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{{ID: taken[0].Delivery.ID, Owner: "fast", Delivered: true,
			Attempt: getpaid.Attempt{At: now, Status: 200}}}); err != nil {
			t.Fatal(err)
		}
		page, _ = s.Deliveries(ctx(t), getpaid.DeliveryFilter{PaymentID: p.ID})
		if d := page.Deliveries[0]; d.State != getpaid.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != 200 {
			t.Fatalf("%s: the lease holder's result: %+v", tc.name, d)
		}
	}
}

// testFinishOfFinished checks that a result for a delivery already finished
// (delivered, dead, discarded by a result or by an operator) is ignored, as
// one from a lost lease is: whatever it says, and whoever sends it: the
// owner that finished it (a result sent twice) or another owner; one that
// names none ("", the owner a finished delivery is left with) is refused
// (ErrInvalidRequest). Its state, attempts, last outcome and attempt
// history stay as they were, and FinishDeliveries reports nothing. Only the
// delivery's state tells such a result from the result of an attempt at a
// pending delivery.
func testFinishOfFinished(t *testing.T, s getpaid.Store) {
	dd, canDiscard := s.(getpaid.DeliveryDiscarder)
	finishes := []struct {
		name       string
		want       getpaid.DeliveryState
		byOperator bool                   // discarded by an operator (DeliveryDiscarder) while leased to "a"
		first      getpaid.DeliveryResult // else: the result "a" finishes it with
	}{
		{"delivered", getpaid.DeliveryDelivered, false, getpaid.DeliveryResult{Delivered: true, Attempt: getpaid.Attempt{Status: 204, Duration: time.Millisecond}}},
		{"dead", getpaid.DeliveryDead, false, getpaid.DeliveryResult{Dead: true, Attempt: getpaid.Attempt{Status: 410, Error: "HTTP 410"}}},
		{"discarded", getpaid.DeliveryDiscarded, false, getpaid.DeliveryResult{Discarded: true, Attempt: getpaid.Attempt{Error: "not sent: narrowed"}}},
		{"discarded-by-operator", getpaid.DeliveryDiscarded, true, getpaid.DeliveryResult{}},
	}
	owners := []struct{ name, owner string }{{"same-owner", "a"}, {"other-owner", "b"}, {"no-owner", ""}}
	lates := []struct {
		name string
		late getpaid.DeliveryResult
	}{
		{"delivered", getpaid.DeliveryResult{Delivered: true, Attempt: getpaid.Attempt{Status: 200, Duration: 2 * time.Millisecond}}},
		{"retry", getpaid.DeliveryResult{NextAt: soon().Add(time.Hour), Attempt: getpaid.Attempt{Status: 503, Error: "HTTP 503"}}},
		{"dead", getpaid.DeliveryResult{Dead: true, Attempt: getpaid.Attempt{Error: "timeout"}}},
		{"discarded", getpaid.DeliveryResult{Discarded: true, Attempt: getpaid.Attempt{Error: "not sent: late"}}},
	}
	n := 0
	for _, f := range finishes {
		for _, o := range owners {
			for _, l := range lates {
				n++
				// A consumer of its own: claims see no other case's deliveries.
				consumer, order := fmt.Sprintf("listener:ff-%d", n), fmt.Sprintf("o-ff-%d", n)
				t.Run(f.name+"/"+o.name+"/"+l.name, func(t *testing.T) {
					t.Parallel()
					if f.byOperator && !canDiscard {
						t.Skip("the store does not implement getpaid.DeliveryDiscarder")
					}
					p := newPayment(order, 100, "PLN")
					mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumer)})
					now := soon()
					got := claim(t, s, "a", now, 10, consumer)
					if len(got) != 1 {
						t.Fatalf("claimed %d, want 1", len(got))
					}
					id := got[0].Delivery.ID
					if f.byOperator {
						if n, err := dd.DiscardDeliveries(ctx(t), getpaid.DiscardRequest{Consumer: consumer, Reason: "removed", Now: now}); err != nil || n != 1 {
							t.Fatalf("DiscardDeliveries = %d, %v; want 1", n, err)
						}
					} else {
						first := f.first
						first.ID, first.Owner, first.Attempt.At = id, "a", now
						if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{first}); err != nil {
							t.Fatal(err)
						}
					}
					look := func() (*getpaid.Delivery, []getpaid.Attempt) {
						t.Helper()
						page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{PaymentID: p.ID})
						if err != nil || len(page.Deliveries) != 1 {
							t.Fatalf("Deliveries: %+v, %v", page, err)
						}
						atts, err := s.Attempts(ctx(t), id)
						if err != nil {
							t.Fatalf("Attempts: %v", err)
						}
						return page.Deliveries[0], atts
					}
					before, attsBefore := look()
					if before.State != f.want {
						t.Fatalf("finished delivery: %+v; want %s", before, f.want)
					}
					late := l.late
					late.ID, late.Owner, late.Attempt.At = id, o.owner, now.Add(time.Millisecond)
					err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{late})
					switch {
					case o.owner == "" && !isInvalid(err):
						t.Fatalf("FinishDeliveries with no owner: %v; want ErrInvalidRequest", err)
					case o.owner != "" && err != nil:
						t.Fatalf("FinishDeliveries of a finished delivery: %v; want it ignored, no error", err)
					}
					after, attsAfter := look()
					if diff := cmp.Diff(before, after, cmpOpts); diff != "" {
						t.Errorf("a result for a %s delivery was recorded (-before +after):\n%s", f.want, diff)
					}
					if diff := cmp.Diff(attsBefore, attsAfter, cmpOpts); diff != "" {
						t.Errorf("a result for a %s delivery added to its attempts (-before +after):\n%s", f.want, diff)
					}
					if again := claim(t, s, "c", now.Add(2*time.Hour), 10, consumer); len(again) != 0 {
						t.Errorf("a %s delivery was claimed again after a late result: %+v", f.want, again)
					}
				})
			}
		}
	}
}

// testNoOwnerRefused checks that a claim or a batch of results naming no
// owner is refused whole (ErrInvalidRequest) and changes nothing: leases
// are told apart by owner only, so callers without one would all be one
// owner, and a result with none would be recorded over any delivery no one
// holds a lease on.
func testNoOwnerRefused(t *testing.T, s getpaid.Store) {
	consumer := "listener:no-owner"
	p := newPayment("o-no-owner", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumer)})
	now := soon()
	if got, err := s.ClaimDeliveries(ctx(t), getpaid.ClaimRequest{Now: now, Lease: time.Minute, Consumers: []string{consumer}}); !isInvalid(err) || len(got) != 0 {
		t.Fatalf("a claim with no owner: %d claimed, %v; want none, ErrInvalidRequest", len(got), err)
	}
	// Nothing was leased: a claim with an owner gets it at once.
	got := claim(t, s, "a", now, 10, consumer)
	if len(got) != 1 {
		t.Fatalf("claimed %d after a claim with no owner, want 1", len(got))
	}
	id := got[0].Delivery.ID
	// A batch with one result naming no owner records none of it, not even
	// the lease holder's.
	batch := []getpaid.DeliveryResult{
		{ID: id, Owner: "a", Delivered: true, Attempt: getpaid.Attempt{At: now, Status: 200}},
		{ID: id, Dead: true, Attempt: getpaid.Attempt{At: now, Error: "timeout"}},
	}
	if err := s.FinishDeliveries(ctx(t), batch); !isInvalid(err) {
		t.Fatalf("results with one naming no owner: %v; want ErrInvalidRequest", err)
	}
	page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{PaymentID: p.ID})
	if err != nil || len(page.Deliveries) != 1 {
		t.Fatalf("Deliveries: %+v, %v", page, err)
	}
	if d := page.Deliveries[0]; d.State != getpaid.DeliveryPending || d.Attempts != 0 {
		t.Fatalf("a refused batch of results was recorded: %+v", d)
	}
	if a, err := s.Attempts(ctx(t), id); err != nil || len(a) != 0 {
		t.Fatalf("attempts after a refused batch: %+v, %v", a, err)
	}
	// The lease holder's result alone is recorded.
	if err := s.FinishDeliveries(ctx(t), batch[:1]); err != nil {
		t.Fatal(err)
	}
	page, _ = s.Deliveries(ctx(t), getpaid.DeliveryFilter{PaymentID: p.ID})
	if d := page.Deliveries[0]; d.State != getpaid.DeliveryDelivered || d.Attempts != 1 {
		t.Fatalf("the lease holder's result: %+v", d)
	}

	// A change asking for its deliveries leased to no owner is refused and
	// writes nothing: created, or an update.
	noOwner := &getpaid.DeliveryLease{Now: now, Until: now.Add(time.Minute)}
	q := newPayment("o-no-owner-lease", 100, "PLN")
	if err := create(t, s, q, getpaid.CreateOptions{Deliver: subs(consumer), Lease: noOwner}); !isInvalid(err) {
		t.Fatalf("a create leasing to no owner: %v; want ErrInvalidRequest", err)
	}
	if _, err := s.Payment(ctx(t), q.ID); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("the refused create stored its payment: %v", err)
	}
	m := prepare("NOL")
	m.Deliver, m.Lease = subs(consumer), noOwner
	if _, err := s.UpdatePayment(ctx(t), p.ID, m); !isInvalid(err) {
		t.Fatalf("an update leasing to no owner: %v; want ErrInvalidRequest", err)
	}
	if got, err := s.Payment(ctx(t), p.ID); err != nil || got.Status != getpaid.StatusNew || got.Version != 1 {
		t.Fatalf("after a refused update: %+v, %v; want it unchanged", got, err)
	}
	if page, _ = s.Deliveries(ctx(t), getpaid.DeliveryFilter{PaymentID: p.ID}); len(page.Deliveries) != 1 {
		t.Fatalf("a refused update wrote deliveries: %d, want the 1 from before", len(page.Deliveries))
	}
}

// testReplay checks that replays make dead (or delivered) deliveries pending
// and due again, with a fresh schedule.
func testReplay(t *testing.T, s getpaid.Store) {
	for i := range 3 {
		mustCreate(t, s, newPayment(fmt.Sprintf("o-rp-%d", i), 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers...)})
	}
	now := soon()
	var results []getpaid.DeliveryResult
	for _, d := range claim(t, s, "a", now, 10, consumers...) {
		r := getpaid.DeliveryResult{ID: d.Delivery.ID, Owner: "a", Attempt: getpaid.Attempt{At: now}}
		if d.Delivery.Consumer == consumers[1] {
			r.Dead = true
		} else {
			r.Delivered = true
		}
		results = append(results, r)
	}
	if err := s.FinishDeliveries(ctx(t), results); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ReplayDeliveries(ctx(t), getpaid.ReplayRequest{Now: now}); err != nil || n != 0 {
		t.Fatalf("a replay naming nothing replayed %d, %v", n, err)
	}
	later := now.Add(time.Hour)
	n, err := s.ReplayDeliveries(ctx(t), getpaid.ReplayRequest{DeadOnly: true, Consumer: consumers[1], Now: later})
	if err != nil || n != 3 {
		t.Fatalf("replay of dead deliveries: %d, %v; want 3", n, err)
	}
	due := claim(t, s, "b", later, 10, consumers...)
	if len(due) != 3 || due[0].Delivery.Consumer != consumers[1] || due[0].Delivery.Attempts != 0 {
		t.Fatalf("after replaying the dead ones: %+v", due)
	}
	page, _ := s.Deliveries(ctx(t), getpaid.DeliveryFilter{State: getpaid.DeliveryDelivered})
	if len(page.Deliveries) != 3 {
		t.Fatalf("delivered: %d", len(page.Deliveries))
	}
	ev := page.Deliveries[0].EventID
	if n, err := s.ReplayDeliveries(ctx(t), getpaid.ReplayRequest{EventID: ev, Now: later}); err != nil || n != 1 {
		t.Fatalf("replay of one event: %d, %v; want its 1 delivered delivery (the other is pending)", n, err)
	}
}

// testRetryWaiting checks ReplayRequest.Waiting: the deliveries waiting
// for a retry become due at once, keeping their attempts; those in flight,
// those due already and other consumers' are left alone.
func testRetryWaiting(t *testing.T, s getpaid.Store) {
	for i := range 3 {
		mustCreate(t, s, newPayment(fmt.Sprintf("o-rw-%d", i), 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers...)})
	}
	now := soon()
	claimed := claim(t, s, "a", now, 10, consumers...)
	if len(claimed) != 6 {
		t.Fatalf("claimed %d, want 6", len(claimed))
	}
	var results []getpaid.DeliveryResult
	inFlight := ""
	for _, d := range claimed {
		if d.Delivery.Consumer == consumers[0] && inFlight == "" {
			inFlight = d.Delivery.ID // its lease runs for a minute
			continue
		}
		results = append(results, getpaid.DeliveryResult{ID: d.Delivery.ID, Owner: "a", NextAt: now.Add(time.Hour),
			Attempt: getpaid.Attempt{At: now, Status: 503, Error: "HTTP 503"}})
	}
	if err := s.FinishDeliveries(ctx(t), results); err != nil {
		t.Fatal(err)
	}
	// A payment written now: its deliveries are due, not waiting.
	mustCreate(t, s, newPayment("o-rw-new", 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers...)})
	at := now.Add(10 * time.Second)
	n, err := s.ReplayDeliveries(ctx(t), getpaid.ReplayRequest{Waiting: true, Consumer: consumers[0], Now: at})
	if err != nil || n != 2 {
		t.Fatalf("retry of %s's waiting deliveries: %d, %v; want 2 (not the one in flight nor the new one)", consumers[0], n, err)
	}
	due := claim(t, s, "b", at, 10, consumers...)
	retried := 0
	for _, d := range due {
		switch {
		case d.Delivery.Consumer != consumers[0]:
			if d.Delivery.PaymentID != "" && d.Delivery.Attempts > 0 {
				t.Errorf("another consumer's waiting delivery became due: %+v", d.Delivery)
			}
		case d.Delivery.ID == inFlight:
			t.Errorf("the delivery in flight was claimed again")
		case d.Delivery.Attempts == 1:
			retried++
		}
	}
	if retried != 2 || len(due) != 4 {
		t.Fatalf("after the retry: %d claimed, %d of them retried; want 4 (2 retried with their attempt kept, and the new payment's 2)", len(due), retried)
	}
	n, err = s.ReplayDeliveries(ctx(t), getpaid.ReplayRequest{Waiting: true, Now: at.Add(time.Second)})
	if err != nil || n != 3 {
		t.Fatalf("retry of every consumer's waiting deliveries: %d, %v; want %s's 3", n, err, consumers[1])
	}
	// Seen from a clock an hour behind (another instance's), each of the
	// first consumer's deliveries falls due later: waiting, but every one
	// is in flight, and left alone.
	n, err = s.ReplayDeliveries(ctx(t), getpaid.ReplayRequest{Waiting: true, Consumer: consumers[0], Now: now.Add(-time.Hour)})
	if err != nil || n != 0 {
		t.Fatalf("retry from a clock behind, every delivery in flight: %d, %v; want 0", n, err)
	}
}

// testConcurrentClaims claims from many goroutines at once: every delivery
// is handed out exactly once.
func testConcurrentClaims(t *testing.T, s getpaid.Store) {
	const n = 30
	for i := range n {
		mustCreate(t, s, newPayment(fmt.Sprintf("o-cc-%d", i), 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers[0])})
	}
	now := soon()
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
	)
	for g := range 8 {
		wg.Go(func() {
			got, err := s.ClaimDeliveries(ctx(t), getpaid.ClaimRequest{Owner: fmt.Sprint("w", g), Now: now, Lease: time.Minute, Limit: 5, Consumers: consumers[:1]})
			if err != nil {
				t.Errorf("ClaimDeliveries: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, d := range got {
				seen[d.Delivery.ID]++
			}
		})
	}
	wg.Wait()
	total := 0
	for id, c := range seen {
		if c != 1 {
			t.Errorf("delivery %s handed out %d times", id, c)
		}
		total += c
	}
	if total != n {
		t.Errorf("handed out %d deliveries, want all %d", total, n)
	}
}

// testDiscard checks that discarding a consumer's deliveries (one removed
// from the configuration) retires its pending ones, in flight or not, and
// its dead ones, keeps its delivered ones and every other consumer's, drops
// the lease (the in-flight result is ignored), and takes them out of the
// backlog. Skipped for a store that is no getpaid.DeliveryDiscarder.
func testDiscard(t *testing.T, s getpaid.Store) {
	dd, ok := s.(getpaid.DeliveryDiscarder)
	if !ok {
		t.Skip("the store does not implement getpaid.DeliveryDiscarder")
	}
	for i := range 4 {
		mustCreate(t, s, newPayment(fmt.Sprintf("o-dc-%d", i), 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers...)})
	}
	now := soon()
	got := claim(t, s, "a", now, 3, consumers[1])
	if len(got) != 3 {
		t.Fatalf("claimed %d, want 3", len(got))
	}
	if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{
		{ID: got[0].Delivery.ID, Owner: "a", Dead: true, Attempt: getpaid.Attempt{At: now, Status: 500}},
		{ID: got[1].Delivery.ID, Owner: "a", Delivered: true, Attempt: getpaid.Attempt{At: now, Status: 200}},
	}); err != nil {
		t.Fatal(err)
	}
	const reason = "endpoint removed from the configuration; discarded by alice"
	n, err := dd.DiscardDeliveries(ctx(t), getpaid.DiscardRequest{Consumer: consumers[1], Reason: reason, Now: now.Add(time.Second)})
	if err != nil || n != 3 {
		t.Fatalf("DiscardDeliveries = %d, %v; want 3 (one dead, one in flight, one waiting)", n, err)
	}
	// The result of the attempt that was in flight comes back: ignored.
	if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{{ID: got[2].Delivery.ID, Owner: "a", Delivered: true,
		Attempt: getpaid.Attempt{At: now, Status: 200}}}); err != nil {
		t.Fatal(err)
	}
	page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{Consumer: consumers[1]})
	if err != nil || len(page.Deliveries) != 4 {
		t.Fatalf("Deliveries of the removed consumer: %+v, %v", page, err)
	}
	for _, d := range page.Deliveries {
		switch {
		case d.ID == got[1].Delivery.ID:
			if d.State != getpaid.DeliveryDelivered {
				t.Errorf("the delivered delivery became %s", d.State)
			}
		case d.State != getpaid.DeliveryDiscarded || d.LastError != reason:
			t.Errorf("delivery %s: %s, last error %q; want discarded with the reason", d.ID, d.State, d.LastError)
		}
	}
	if page, _ := s.Deliveries(ctx(t), getpaid.DeliveryFilter{State: getpaid.DeliveryDiscarded}); len(page.Deliveries) != 3 {
		t.Errorf("listing by state discarded: %d, want 3", len(page.Deliveries))
	}
	if page, _ := s.Deliveries(ctx(t), getpaid.DeliveryFilter{Consumer: consumers[0], State: getpaid.DeliveryPending}); len(page.Deliveries) != 4 {
		t.Errorf("the other consumer's pending deliveries: %d, want 4 untouched", len(page.Deliveries))
	}
	if again := claim(t, s, "b", now.Add(time.Hour), 10, consumers[1]); len(again) != 0 {
		t.Errorf("a discarded delivery was claimed again: %+v", again)
	}
	if br, ok := s.(getpaid.BacklogReporter); ok {
		b, err := br.Backlog(ctx(t))
		if err != nil || b.Pending != 4 || b.Dead != 0 {
			t.Errorf("Backlog = %+v, %v; want the other consumer's 4 pending and no dead", b, err)
		}
	}
	if n, err := dd.DiscardDeliveries(ctx(t), getpaid.DiscardRequest{Consumer: consumers[1], Reason: reason, Now: now.Add(time.Minute)}); err != nil || n != 0 {
		t.Errorf("discarding again: %d, %v; want 0", n, err)
	}
}

// testBackfill checks that a backfill (an endpoint added after events were
// written) writes a pending delivery, due at Now, of every event it names
// to its consumer and of no other, once however often it runs, with the
// event's place in its payment's order (a payment's later events wait for
// its earlier ones), leaving other consumers' deliveries alone. Skipped for
// a store that is no getpaid.DeliveryBackfiller.
func testBackfill(t *testing.T, s getpaid.Store) {
	bf, ok := s.(getpaid.DeliveryBackfiller)
	if !ok {
		t.Skip("the store does not implement getpaid.DeliveryBackfiller")
	}
	var ids []string
	for i := range 3 {
		p := newPayment(fmt.Sprintf("o-bf-%d", i), 100, "PLN")
		mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers[0])})
		ids = append(ids, p.ID)
	}
	mustUpdate(t, s, ids[0], getpaid.Mutation{Apply: prepare("BF").Apply, Deliver: subs(consumers[0])}) // a 4th event, of ids[0]
	now := soon()
	n, err := bf.BackfillDeliveries(ctx(t), getpaid.BackfillRequest{Consumer: consumers[1], Now: now})
	if err != nil || n != 4 {
		t.Fatalf("BackfillDeliveries = %d, %v; want 4", n, err)
	}
	page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{Consumer: consumers[1]})
	if err != nil || len(page.Deliveries) != 4 {
		t.Fatalf("the new consumer's deliveries: %+v, %v", page, err)
	}
	for _, d := range page.Deliveries {
		if d.State != getpaid.DeliveryPending || !d.NextAt.Equal(now) || d.Attempts != 0 || d.ID != getpaid.DeliveryID(d.EventID, consumers[1]) {
			t.Errorf("backfilled %+v; want pending, due %s, no attempt, its id DeliveryID(event, consumer)", d, now)
		}
	}
	if n, err := bf.BackfillDeliveries(ctx(t), getpaid.BackfillRequest{Consumer: consumers[1], Now: now}); err != nil || n != 0 {
		t.Errorf("backfilling again: %d, %v; want 0", n, err)
	}
	// Per payment, in order: ids[0]'s status change waits for its created.
	got := claim(t, s, "a", now, 10, consumers[1])
	if len(got) != 3 {
		t.Fatalf("claimed %d of the backfilled deliveries, want 3 (each payment's first)", len(got))
	}
	for _, c := range got {
		if c.Event.Type != getpaid.EventPaymentCreated {
			t.Errorf("claimed %s before its payment's created event", c.Event.ID)
		}
	}
	typed := "webhook:https://b.example/hook"
	if n, err := bf.BackfillDeliveries(ctx(t), getpaid.BackfillRequest{Consumer: typed, Types: []getpaid.EventType{getpaid.EventStatusChanged}, Now: now}); err != nil || n != 1 {
		t.Errorf("backfilling status changes only: %d, %v; want 1", n, err)
	}
	late := "webhook:https://c.example/hook"
	if n, err := bf.BackfillDeliveries(ctx(t), getpaid.BackfillRequest{Consumer: late, Since: now.Add(time.Hour), Now: now}); err != nil || n != 0 {
		t.Errorf("backfilling from an hour on: %d, %v; want 0", n, err)
	}
	if page, _ := s.Deliveries(ctx(t), getpaid.DeliveryFilter{Consumer: consumers[0], State: getpaid.DeliveryPending}); len(page.Deliveries) != 4 {
		t.Errorf("the other consumer's pending deliveries: %d, want its 4 untouched", len(page.Deliveries))
	}
}
