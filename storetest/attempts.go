package storetest

import (
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// testAttemptHistory checks that Attempts lists every attempt of a delivery,
// oldest first and each as it was recorded, across retries and replays: an
// operator reading `events show` sees what happened to it. The delivery is
// delivered at its first attempt, replayed, fails once, is delivered at the
// retry, replayed again and delivered at once: five attempts. The delivery
// itself counts the attempts since its last replay.
func testAttemptHistory(t *testing.T, s getpaid.Store) {
	mustCreate(t, s, newPayment("o-ah", 100, "PLN"), getpaid.CreateOptions{Deliver: subs(consumers[1])})
	now := soon()
	got := claim(t, s, "a", now, 10, consumers[1])
	if len(got) != 1 {
		t.Fatalf("claimed %d; want 1", len(got))
	}
	id, ev := got[0].Delivery.ID, got[0].Delivery.EventID
	var want []getpaid.Attempt
	attempt := func(owner string, at time.Time, r getpaid.DeliveryResult) {
		t.Helper()
		r.ID, r.Owner = id, owner
		if due := claim(t, s, owner, at, 10, consumers[1]); owner != "a" && (len(due) != 1 || due[0].Delivery.ID != id) {
			t.Fatalf("claim at %v: %+v; want the delivery", at, due)
		}
		if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{r}); err != nil {
			t.Fatal(err)
		}
		want = append(want, r.Attempt)
		atts, err := s.Attempts(ctx(t), id)
		if err != nil {
			t.Fatalf("Attempts: %v", err)
		}
		if !sameAttempts(atts, want) {
			t.Fatalf("after attempt %d: Attempts = %+v; want %+v", len(want), atts, want)
		}
	}
	replay := func(at time.Time) {
		t.Helper()
		if n, err := s.ReplayDeliveries(ctx(t), getpaid.ReplayRequest{EventID: ev, Now: at}); err != nil || n != 1 {
			t.Fatalf("replay: %d, %v; want 1", n, err)
		}
	}
	ms := time.Millisecond
	attempt("a", now, getpaid.DeliveryResult{Delivered: true, Attempt: getpaid.Attempt{At: now.Add(ms), Status: 200, Duration: 3 * ms}})
	later := now.Add(time.Hour)
	replay(later)
	attempt("b", later, getpaid.DeliveryResult{NextAt: later.Add(5 * time.Second),
		Attempt: getpaid.Attempt{At: later.Add(ms), Status: 503, Error: "HTTP 503", Duration: 5 * ms}})
	retry := later.Add(6 * time.Second)
	attempt("b", retry, getpaid.DeliveryResult{Delivered: true, Attempt: getpaid.Attempt{At: retry.Add(ms), Status: 204, Duration: ms}})
	last := later.Add(2 * time.Hour)
	replay(last)
	attempt("c", last, getpaid.DeliveryResult{Delivered: true, Attempt: getpaid.Attempt{At: last.Add(ms), Status: 200, Duration: 7 * ms}})

	page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{EventID: ev})
	if err != nil || len(page.Deliveries) != 1 {
		t.Fatalf("Deliveries(event): %+v, %v", page, err)
	}
	if d := page.Deliveries[0]; d.State != getpaid.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != 200 ||
		!d.DeliveredAt.Equal(last.Add(ms)) {
		t.Errorf("the delivery after its second replay: %+v; want delivered, 1 attempt, status 200 at %v", d, last.Add(ms))
	}
}

// sameAttempts reports whether got and want hold the same attempts in order.
func sameAttempts(got, want []getpaid.Attempt) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.At.Equal(w.At) || g.Status != w.Status || g.Error != w.Error || g.Duration != w.Duration {
			return false
		}
	}
	return true
}
