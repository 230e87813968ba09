package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

var eventTests = []test{
	{"Created", testCreatedEvent, nil},
	{"OrderAndLimit", testEventOrder, nil},
	{"MarkDelivered", testMarkDelivered, nil},
	{"PageAfter", testEventsAfter, nil},
}

// testEventsAfter pages through pending events with the after cursor,
// including past a delivered event.
func testEventsAfter(t *testing.T, s getpaid.Store) {
	var ids []string
	for i := 0; i < 5; i++ {
		p := newPayment("o-page", 100, "PLN")
		mustCreate(t, s, p, getpaid.CreateOptions{})
		ids = append(ids, getpaid.NewCreatedEvent(p, p.CreatedAt).ID)
	}
	if err := s.MarkDelivered(ctx(t), ids[1:2]); err != nil {
		t.Fatal(err)
	}
	page, err := s.PendingEvents(ctx(t), ids[0], 2)
	if err != nil || len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[3] {
		t.Fatalf("PendingEvents(after %s, 2) = %v, %v; want events 2 and 3", ids[0], page, err)
	}
	page, err = s.PendingEvents(ctx(t), ids[1], 10) // a delivered event is a fine cursor
	if err != nil || len(page) != 3 || page[0].ID != ids[2] {
		t.Fatalf("PendingEvents(after delivered %s) = %v, %v", ids[1], page, err)
	}
	if page, _ := s.PendingEvents(ctx(t), ids[4], 10); len(page) != 0 {
		t.Fatalf("after the newest: %v", page)
	}
}

// testCreatedEvent checks the payment.created event CreatePayment writes.
func testCreatedEvent(t *testing.T, s getpaid.Store) {
	if evs := mustPending(t, s, 10); len(evs) != 0 {
		t.Fatalf("empty store has pending events %+v", evs)
	}
	p := newPayment("o-ce", 100000, "JPY")
	mustCreate(t, s, p, getpaid.CreateOptions{OneLivePerOrder: true})
	evs := mustPending(t, s, 10)
	if len(evs) != 1 {
		t.Fatalf("pending = %+v, want one created event", evs)
	}
	want := getpaid.Event{
		ID: evs[0].ID, Type: getpaid.EventPaymentCreated, PaymentID: p.ID, OrderID: "o-ce", Backend: "dummy",
		To: getpaid.StatusNew, Amount: p.Amount, Captured: getpaid.Money{Currency: "JPY"}, At: p.CreatedAt,
	}
	if diff := cmp.Diff(want, evs[0], cmpOpts); diff != "" || evs[0].ID == "" {
		t.Errorf("created event (-want +got):\n%s", diff)
	}
	// A refused create writes no event.
	_ = create(t, s, newPayment("o-ce", 1, "JPY"), getpaid.CreateOptions{OneLivePerOrder: true})
	if evs := mustPending(t, s, 10); len(evs) != 1 {
		t.Errorf("refused create wrote an event: %+v", evs)
	}
}

// testEventOrder lists pending events oldest first, up to the limit.
func testEventOrder(t *testing.T, s getpaid.Store) {
	a := newPayment("o-eo-a", 100, "PLN")
	b := newPayment("o-eo-b", 200, "PLN")
	mustCreate(t, s, a, getpaid.CreateOptions{})
	mustCreate(t, s, b, getpaid.CreateOptions{})
	mustUpdate(t, s, a.ID, prepare("EOA"))
	mustUpdate(t, s, b.ID, failed())
	mustUpdate(t, s, a.ID, observe("dummy:eo", paidObservation(a)))
	type key struct {
		Type    getpaid.EventType
		Payment string
		To      getpaid.Status
	}
	want := []key{
		{getpaid.EventPaymentCreated, a.ID, getpaid.StatusNew},
		{getpaid.EventPaymentCreated, b.ID, getpaid.StatusNew},
		{getpaid.EventStatusChanged, a.ID, getpaid.StatusPrepared},
		{getpaid.EventStatusChanged, b.ID, getpaid.StatusFailed},
		{getpaid.EventStatusChanged, a.ID, getpaid.StatusPaid},
	}
	keys := func(evs []getpaid.Event) []key {
		var out []key
		for _, e := range evs {
			out = append(out, key{e.Type, e.PaymentID, e.To})
		}
		return out
	}
	if diff := cmp.Diff(want, keys(mustPending(t, s, 100))); diff != "" {
		t.Errorf("pending order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[:2], keys(mustPending(t, s, 2))); diff != "" {
		t.Errorf("pending limit 2 (-want +got):\n%s", diff)
	}
	ids := map[string]bool{}
	for _, e := range mustPending(t, s, 100) {
		if ids[e.ID] {
			t.Errorf("event id %s repeated", e.ID)
		}
		ids[e.ID] = true
	}
}

// testMarkDelivered hides delivered events and keeps the rest in order.
func testMarkDelivered(t *testing.T, s getpaid.Store) {
	for i := range 4 {
		mustCreate(t, s, newPayment("o-md", int64(i+1), "PLN"), getpaid.CreateOptions{})
	}
	all := mustPending(t, s, 100)
	if len(all) != 4 {
		t.Fatalf("pending = %d, want 4", len(all))
	}
	if err := s.MarkDelivered(ctx(t), []string{all[0].ID, all[2].ID}); err != nil {
		t.Fatalf("MarkDelivered: %v", err)
	}
	if diff := cmp.Diff([]getpaid.Event{all[1], all[3]}, mustPending(t, s, 100), cmpOpts); diff != "" {
		t.Errorf("pending after MarkDelivered (-want +got):\n%s", diff)
	}
	// Repeats, unknown ids and empty lists are fine.
	for _, ids := range [][]string{{all[0].ID}, {"evt_unknown"}, nil} {
		if err := s.MarkDelivered(ctx(t), ids); err != nil {
			t.Errorf("MarkDelivered(%v): %v", ids, err)
		}
	}
	if err := s.MarkDelivered(ctx(t), []string{all[1].ID, all[3].ID}); err != nil {
		t.Fatalf("MarkDelivered: %v", err)
	}
	if evs := mustPending(t, s, 100); len(evs) != 0 {
		t.Errorf("pending after delivering all = %+v", evs)
	}
}
