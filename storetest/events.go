package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

var eventTests = []test{
	{"Created", testCreatedEvent, nil},
	{"OrderAndPages", testEventOrder, nil},
	{"Load", testEventLoad, nil},
}

// testCreatedEvent checks the payment.created event CreatePayment writes.
func testCreatedEvent(t *testing.T, s getpaid.Store) {
	if evs := allEvents(t, s, ""); len(evs) != 0 {
		t.Fatalf("empty store has events %+v", evs)
	}
	p := newPayment("o-ce", 100000, "JPY")
	mustCreate(t, s, p, getpaid.CreateOptions{OneLivePerOrder: true})
	evs := allEvents(t, s, "")
	if len(evs) != 1 {
		t.Fatalf("events = %+v, want one created event", evs)
	}
	want := getpaid.Event{
		ID: evs[0].ID, Type: getpaid.EventPaymentCreated, PaymentID: p.ID, OrderID: "o-ce", Backend: "dummy",
		To: getpaid.StatusNew, Amount: p.Amount, Captured: getpaid.Money{Currency: "JPY"}, Refunded: getpaid.Money{Currency: "JPY"}, At: p.CreatedAt,
	}
	if diff := cmp.Diff(want, evs[0], cmpOpts); diff != "" || evs[0].ID == "" {
		t.Errorf("created event (-want +got):\n%s", diff)
	}
	// A refused create writes no event.
	_ = create(t, s, newPayment("o-ce", 1, "JPY"), getpaid.CreateOptions{OneLivePerOrder: true})
	if evs := allEvents(t, s, ""); len(evs) != 1 {
		t.Errorf("refused create wrote an event: %+v", evs)
	}
}

// testEventOrder lists events newest first, by payment, a page at a time.
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
	if diff := cmp.Diff(want, keys(allEvents(t, s, ""))); diff != "" {
		t.Errorf("events oldest first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]key{want[0], want[2], want[4]}, keys(allEvents(t, s, a.ID))); diff != "" {
		t.Errorf("events of one payment (-want +got):\n%s", diff)
	}
	page, err := s.Events(ctx(t), getpaid.EventFilter{Limit: 2})
	if err != nil || len(page.Events) != 2 || page.NextCursor == "" {
		t.Fatalf("first page of 2: %+v, %v", page, err)
	}
	if diff := cmp.Diff([]key{want[4], want[3]}, keys(page.Events)); diff != "" {
		t.Errorf("first page newest first (-want +got):\n%s", diff)
	}
	ids := map[string]bool{}
	for _, e := range allEvents(t, s, "") {
		if ids[e.ID] {
			t.Errorf("event id %s repeated", e.ID)
		}
		ids[e.ID] = true
	}
	if _, err := s.Events(ctx(t), getpaid.EventFilter{Cursor: "not-a-cursor"}); !isInvalid(err) {
		t.Errorf("a bad cursor: %v, want ErrInvalidRequest", err)
	}
}

// testEventLoad loads one event by id.
func testEventLoad(t *testing.T, s getpaid.Store) {
	p := newPayment("o-el", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	res := mustUpdate(t, s, p.ID, prepare("EL"))
	got, err := s.Event(ctx(t), res.Events[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Events[0], *got, cmpOpts); diff != "" {
		t.Errorf("Event differs from what the update wrote (-want +got):\n%s", diff)
	}
	_, err = s.Event(ctx(t), "evt_missing")
	wantErr(t, "Event", err, getpaid.ErrNotFound)
}

// allEvents lists every event (of one payment, when set), oldest first,
// walking the pages.
func allEvents(t *testing.T, s getpaid.Store, paymentID string) []getpaid.Event {
	t.Helper()
	var out []getpaid.Event
	f := getpaid.EventFilter{PaymentID: paymentID, Limit: 3}
	for {
		page, err := s.Events(ctx(t), f)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		out = append(out, page.Events...)
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
