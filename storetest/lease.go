package storetest

import (
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

var leaseTests = []test{
	{"ReleaseWithoutAttempt", testRelease, nil},
	{"LeaseWithChange", testLeaseWithChange, nil},
}

// testRelease checks that a released delivery is claimable at once, as it
// was: no attempt counted or recorded; and that only its owner releases it.
func testRelease(t *testing.T, s getpaid.Store) {
	p := newPayment("o-rel", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers[0])})
	now := soon()
	got := claim(t, s, "a", now, 10, consumers[0])
	if len(got) != 1 {
		t.Fatalf("claimed %d, want 1", len(got))
	}
	id := got[0].Delivery.ID
	if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{{ID: id, Owner: "a", Release: true}}); err != nil {
		t.Fatal(err)
	}
	again := claim(t, s, "b", now, 10, consumers[0])
	if len(again) != 1 || again[0].Delivery.ID != id || again[0].Delivery.Attempts != 0 ||
		again[0].Delivery.State != getpaid.DeliveryPending || !again[0].Delivery.NextAt.Equal(got[0].Delivery.NextAt) {
		t.Fatalf("after the release: %+v, want it claimable as it was", again)
	}
	if atts, err := s.Attempts(ctx(t), id); err != nil || len(atts) != 0 {
		t.Fatalf("Attempts = %+v, %v; a release is no attempt", atts, err)
	}
	// "a" holds it no more: its release is ignored, "b" keeps the lease.
	if err := s.FinishDeliveries(ctx(t), []getpaid.DeliveryResult{{ID: id, Owner: "a", Release: true}}); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, s, "c", now, 10, consumers[0]); len(got) != 0 {
		t.Fatalf("claimed %d while leased to another owner", len(got))
	}
}

// testLeaseWithChange checks Mutation.Lease and CreateOptions.Lease: a change's
// deliveries come back leased, in order, with their events, and no one
// claims them before the lease runs out; a delivery is leased only when no
// earlier pending delivery of its payment to its consumer is unleased,
// leased to another owner or past its lease, consumer by consumer.
func testLeaseWithChange(t *testing.T, s getpaid.Store) {
	now := soon()
	lease := func(owner string, at time.Time) *getpaid.DeliveryLease {
		return &getpaid.DeliveryLease{Owner: owner, Now: at, Until: at.Add(time.Minute)}
	}
	withLease := func(m getpaid.Mutation, l *getpaid.DeliveryLease) getpaid.Mutation {
		m = deliver(m)
		m.Lease = l
		return m
	}
	then := prepare("LWC")
	first, err := s.CreatePayment(ctx(t), newPayment("o-lwc", 100, "PLN"),
		getpaid.CreateOptions{Deliver: subs(consumers...), Then: &then, Lease: lease("a", now)})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Leased) != 4 || len(first.Deliveries) != 4 {
		t.Fatalf("created and prepared to 2 consumers: %d leased of %d deliveries, want 4 of 4", len(first.Leased), len(first.Deliveries))
	}
	after := map[string]string{} // consumer -> the delivery leased last
	for i, l := range first.Leased {
		if l.Delivery.ID != first.Deliveries[i].ID || l.Event.ID != l.Delivery.EventID || l.Delivery.State != getpaid.DeliveryPending {
			t.Fatalf("Leased[%d] = %+v, want delivery %s with its event", i, l, first.Deliveries[i].ID)
		}
		// Each comes after its consumer's one before it.
		if l.After != after[l.Delivery.Consumer] {
			t.Fatalf("Leased[%d].After = %q, want %q", i, l.After, after[l.Delivery.Consumer])
		}
		after[l.Delivery.Consumer] = l.Delivery.ID
	}
	if l := first.Leased[0]; l.Event.Type != getpaid.EventPaymentCreated || l.Event.PaymentID != first.Payment.ID {
		t.Fatalf("first leased event %+v, want the created event of %s", l.Event, first.Payment.ID)
	}
	if got := claim(t, s, "b", now, 10, consumers...); len(got) != 0 {
		t.Fatalf("claimed %d deliveries leased with their change", len(got))
	}
	if got := claim(t, s, "b", now.Add(2*time.Minute), 10, consumers...); len(got) != 2 || got[0].Event.Type != getpaid.EventPaymentCreated {
		t.Fatalf("after the lease ran out: %+v, want each consumer's created event", got)
	}

	cases := []struct {
		name string
		// setup creates the payment and returns its id and the change's lease.
		setup func(t *testing.T) (string, *getpaid.DeliveryLease)
		want  []string // the consumers whose delivery is leased
		after bool     // behind the created event's delivery
		paid  bool     // the change pays a prepared payment (else it prepares a new one)
	}{
		{"earlier leased to the same owner", func(t *testing.T) (string, *getpaid.DeliveryLease) {
			p := newPayment("o-lwc-same", 100, "PLN")
			mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers...), Lease: lease("a", now)})
			return p.ID, lease("a", now)
		}, consumers, true, false},
		{"earlier unleased", func(t *testing.T) (string, *getpaid.DeliveryLease) {
			p := newPayment("o-lwc-free", 100, "PLN")
			mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers...)})
			return p.ID, lease("a", now)
		}, nil, false, false},
		{"earlier leased to another owner", func(t *testing.T) (string, *getpaid.DeliveryLease) {
			p := newPayment("o-lwc-other", 100, "PLN")
			mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers...), Lease: lease("a", now)})
			return p.ID, lease("b", now)
		}, nil, false, false},
		{"one earlier leased to the owner, a later one unleased", func(t *testing.T) (string, *getpaid.DeliveryLease) {
			p := newPayment("o-lwc-mixed", 100, "PLN")
			mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers...), Lease: lease("a", now)})
			mustUpdate(t, s, p.ID, deliver(prepare("LWC-mixed")))
			return p.ID, lease("a", now)
		}, nil, false, true},
		{"earlier lease run out", func(t *testing.T) (string, *getpaid.DeliveryLease) {
			p := newPayment("o-lwc-out", 100, "PLN")
			mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers...), Lease: lease("a", now)})
			return p.ID, lease("a", now.Add(2*time.Minute))
		}, nil, false, false},
		{"per consumer", func(t *testing.T) (string, *getpaid.DeliveryLease) {
			p := newPayment("o-lwc-one", 100, "PLN")
			mustCreate(t, s, p, getpaid.CreateOptions{Deliver: subs(consumers[0])})
			return p.ID, lease("a", now)
		}, consumers[1:], false, false},
		{"earlier delivered", func(t *testing.T) (string, *getpaid.DeliveryLease) {
			p := newPayment("o-lwc-done", 100, "PLN")
			res, err := s.CreatePayment(ctx(t), p, getpaid.CreateOptions{Deliver: subs(consumers...), Lease: lease("a", now)})
			if err != nil {
				t.Fatal(err)
			}
			var done []getpaid.DeliveryResult
			for _, l := range res.Leased {
				done = append(done, getpaid.DeliveryResult{ID: l.Delivery.ID, Owner: "a", Delivered: true, Attempt: getpaid.Attempt{At: now, Status: 204}})
			}
			if err := s.FinishDeliveries(ctx(t), done); err != nil {
				t.Fatal(err)
			}
			return res.Payment.ID, lease("b", now)
		}, consumers, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, l := c.setup(t)
			change := prepare("LWC-" + id)
			if c.paid {
				change = observe("LWC-paid", paidObservation(mustGet(t, s, id)))
			}
			res := mustUpdate(t, s, id, withLease(change, l))
			if len(res.Events) != 1 || len(res.Deliveries) != len(consumers) {
				t.Fatalf("the change wrote %d events and %d deliveries, want 1 and %d", len(res.Events), len(res.Deliveries), len(consumers))
			}
			var got []string
			for _, d := range res.Leased {
				if d.Event.ID != res.Events[0].ID || d.Delivery.EventID != d.Event.ID {
					t.Fatalf("leased %+v, want a delivery of the change's event %s", d, res.Events[0].ID)
				}
				got = append(got, d.Delivery.Consumer)
				want := ""
				if c.after {
					page, err := s.Deliveries(ctx(t), getpaid.DeliveryFilter{PaymentID: id, Consumer: d.Delivery.Consumer})
					if err != nil || len(page.Deliveries) != 2 {
						t.Fatalf("Deliveries = %+v, %v; want the created and the prepared event's", page, err)
					}
					want = page.Deliveries[1].ID // newest first
				}
				if d.After != want {
					t.Fatalf("leased %s after %q, want %q", d.Delivery.ID, d.After, want)
				}
			}
			if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) || (len(got) > 1 && got[1] != c.want[1]) {
				t.Fatalf("leased to %v, want %v", got, c.want)
			}
			// What was not leased is the claimers' as usual, in order:
			// none is claimed while its earlier delivery is pending.
			for _, d := range claim(t, s, "z", l.Now.Add(30*time.Second), 10, consumers...) {
				if d.Delivery.PaymentID == id && d.Delivery.EventID == res.Events[0].ID {
					t.Fatalf("claimed %s ahead of its payment's earlier delivery", d.Delivery.ID)
				}
			}
		})
	}
}
