package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

var updateTests = []test{
	{"StatusChange", testStatusChange, nil},
	{"ApplyError", testApplyError, nil},
	{"Unchanged", testUnchanged, nil},
	{"DuplicateEvent", testDuplicateEvent, nil},
	{"AmountsOnly", testAmountsOnly, nil},
	{"ResultIsolated", testResultIsolated, nil},
	{"AppliedKeys", testAppliedKeys, nil},
	{"Marks", testMarks, nil},
}

// testStatusChange checks what a status move persists.
func testStatusChange(t *testing.T, s getpaid.Store) {
	p := newPayment("o-sc", 1005, "KWD")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	res := mustUpdate(t, s, p.ID, prepare("E1"))
	if !res.Changed {
		t.Fatal("prepare: Changed = false")
	}
	got := mustGet(t, s, p.ID)
	if diff := cmp.Diff(res.Payment, got, cmpOpts); diff != "" {
		t.Errorf("UpdateResult.Payment differs from read back (-result +read):\n%s", diff)
	}
	if got.Version != 2 || got.Status != getpaid.StatusPrepared || got.ExternalID != "E1" {
		t.Errorf("after prepare: version %d status %s external %q", got.Version, got.Status, got.ExternalID)
	}
	if got.Redirect == nil || got.Redirect.URL != "https://broker.example/pay/E1" || got.Redirect.Method != "GET" {
		t.Errorf("Redirect = %+v", got.Redirect)
	}
	if got.UpdatedAt.Before(got.CreatedAt) || !got.CreatedAt.Equal(p.CreatedAt) {
		t.Errorf("times: created %v (was %v), updated %v", got.CreatedAt, p.CreatedAt, got.UpdatedAt)
	}
	if len(res.Events) != 1 {
		t.Fatalf("prepare: %d events, want 1", len(res.Events))
	}
	ev := res.Events[0]
	want := getpaid.Event{
		ID: ev.ID, Type: getpaid.EventStatusChanged, PaymentID: p.ID, OrderID: "o-sc", Backend: "dummy",
		From: getpaid.StatusNew, To: getpaid.StatusPrepared, Amount: p.Amount,
		Captured: getpaid.Money{Currency: "KWD"}, Refunded: getpaid.Money{Currency: "KWD"}, At: got.UpdatedAt,
		Cause: "prepared", // the mutation's, as in the history row
	}
	if diff := cmp.Diff(want, ev, cmpOpts); diff != "" || ev.ID == "" {
		t.Errorf("status event (-want +got):\n%s", diff)
	}

	obs := paidObservation(got)
	res = mustUpdate(t, s, p.ID, observe("dummy:paid", obs))
	if !res.Changed || res.Payment.Status != getpaid.StatusPaid || res.Payment.Captured != 1005 || res.Payment.Version != 3 {
		t.Fatalf("after capture: %+v", res.Payment)
	}
	if len(res.Events) != 1 || res.Events[0].Captured != (getpaid.Money{Minor: 1005, Currency: "KWD"}) ||
		res.Events[0].Cause != "captured (COMPLETED)" {
		t.Errorf("capture events = %+v", res.Events)
	}
	h := mustHistory(t, s, p.ID)
	wantH := []getpaid.Transition{
		{From: getpaid.StatusNew, To: getpaid.StatusPrepared, At: got.UpdatedAt, Cause: "prepared"},
		{From: getpaid.StatusPrepared, To: getpaid.StatusPaid, At: res.Payment.UpdatedAt, Cause: "captured (COMPLETED)"},
	}
	if diff := cmp.Diff(wantH, h, cmpOpts); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
	// The events written are the ones pending in the outbox.
	pending := allEvents(t, s, "")
	if len(pending) != 3 || pending[0].Type != getpaid.EventPaymentCreated {
		t.Fatalf("pending = %+v, want created + 2 status events", pending)
	}
	if diff := cmp.Diff(append([]getpaid.Event{ev}, res.Events...), pending[1:], cmpOpts); diff != "" {
		t.Errorf("pending status events differ from UpdateResult.Events (-result +pending):\n%s", diff)
	}
}

// testApplyError checks that a failing Apply writes nothing, not even its event key.
func testApplyError(t *testing.T, s getpaid.Store) {
	p := newPayment("o-ae", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	boom := errors.New("boom")
	_, err := s.UpdatePayment(ctx(t), p.ID, getpaid.Mutation{
		EventKey: "dummy:ae", Cause: "bad",
		Apply: func(q *getpaid.Payment) (bool, error) {
			q.Status = getpaid.StatusPaid // a change Apply must not leak
			q.Captured = 100
			return true, boom
		},
	})
	wantErr(t, "UpdatePayment with failing Apply", err, boom)
	if diff := cmp.Diff(p, mustGet(t, s, p.ID), cmpOpts); diff != "" {
		t.Errorf("failing Apply changed the payment (-before +after):\n%s", diff)
	}
	if h := mustHistory(t, s, p.ID); len(h) != 0 {
		t.Errorf("failing Apply wrote history %v", h)
	}
	if evs := allEvents(t, s, ""); len(evs) != 1 {
		t.Errorf("failing Apply wrote events: %+v", evs)
	}
	// Its event key was not recorded: the same event may be applied later.
	res := mustUpdate(t, s, p.ID, observe("dummy:ae", paidObservation(p)))
	if !res.Changed || res.Payment.Status != getpaid.StatusPaid {
		t.Errorf("retry after failed Apply: %+v", res)
	}
	// A forbidden transition is the typed error.
	_, err = s.UpdatePayment(ctx(t), p.ID, prepare("late"))
	wantErr(t, "prepare a paid payment", err, getpaid.ErrForbiddenTransition)
}

// testUnchanged checks that changed=false persists nothing but the event key.
func testUnchanged(t *testing.T, s getpaid.Store) {
	p := newPayment("o-un", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	calls := 0
	m := getpaid.Mutation{
		EventKey: "dummy:noop", Cause: "noop",
		Apply: func(q *getpaid.Payment) (bool, error) {
			calls++
			q.Description = "not persisted" // ignored: Apply said nothing changed
			return false, nil
		},
	}
	res := mustUpdate(t, s, p.ID, m)
	if res.Changed || len(res.Events) != 0 {
		t.Errorf("unchanged result: Changed %v, events %v", res.Changed, res.Events)
	}
	if diff := cmp.Diff(p, res.Payment, cmpOpts); diff != "" {
		t.Errorf("unchanged UpdateResult.Payment (-stored +result):\n%s", diff)
	}
	if diff := cmp.Diff(p, mustGet(t, s, p.ID), cmpOpts); diff != "" {
		t.Errorf("unchanged mutation was persisted (-before +after):\n%s", diff)
	}
	if evs := allEvents(t, s, ""); len(evs) != 1 {
		t.Errorf("unchanged mutation wrote events: %+v", evs)
	}
	callsBefore := calls
	_, err := s.UpdatePayment(ctx(t), p.ID, m)
	wantErr(t, "repeat of an unchanged event", err, getpaid.ErrDuplicateEvent)
	if calls != callsBefore {
		t.Error("UpdatePayment called Apply for a duplicate event")
	}
	// Without an event key, unchanged mutations may repeat freely.
	m.EventKey = ""
	mustUpdate(t, s, p.ID, m)
	mustUpdate(t, s, p.ID, m)
}

// testDuplicateEvent refuses a second application of an event key to a
// payment without calling Apply; the same key on another payment is another
// event (brokers' event ids need only be unique per payment).
func testDuplicateEvent(t *testing.T, s getpaid.Store) {
	p := newPayment("o-de", 100, "PLN")
	q := newPayment("o-de2", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	mustCreate(t, s, q, getpaid.CreateOptions{})
	mustUpdate(t, s, p.ID, observe("dummy:de", paidObservation(p)))
	_, err := s.UpdatePayment(ctx(t), p.ID, getpaid.Mutation{
		EventKey: "dummy:de",
		Apply: func(*getpaid.Payment) (bool, error) {
			t.Error("Apply called for a duplicate event")
			return true, nil
		},
	})
	wantErr(t, "duplicate event", err, getpaid.ErrDuplicateEvent)
	if applied, err := s.EventApplied(ctx(t), p.ID, "dummy:de"); err != nil || !applied {
		t.Errorf("EventApplied(p) = %v, %v; want true", applied, err)
	}
	if applied, err := s.EventApplied(ctx(t), q.ID, "dummy:de"); err != nil || applied {
		t.Errorf("EventApplied(q) before = %v, %v; want false", applied, err)
	}
	res := mustUpdate(t, s, q.ID, observe("dummy:de", paidObservation(q)))
	if !res.Changed || res.Payment.Status != getpaid.StatusPaid {
		t.Errorf("the same event id on another payment: %+v, want it applied", res)
	}
	if got := mustGet(t, s, p.ID); got.Version != 2 {
		t.Errorf("Version = %d, want 2", got.Version)
	}
	if h := mustHistory(t, s, p.ID); len(h) != 1 {
		t.Errorf("History = %v, want one row", h)
	}
}

// testAmountsOnly checks that a change without a status move bumps the version
// but writes no history row and no event.
func testAmountsOnly(t *testing.T, s getpaid.Store) {
	p := newPayment("o-am", 100000, "JPY")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	mustUpdate(t, s, p.ID, prepare("AM"))
	res := mustUpdate(t, s, p.ID, getpaid.Mutation{
		Cause: "fraud check",
		Apply: func(q *getpaid.Payment) (bool, error) {
			q.Locked = 5
			return true, q.SetFraud(getpaid.FraudAccepted)
		},
	})
	if !res.Changed || len(res.Events) != 0 {
		t.Errorf("amounts-only: Changed %v, events %v", res.Changed, res.Events)
	}
	got := mustGet(t, s, p.ID)
	if got.Version != 3 || got.Locked != 5 || got.Fraud != getpaid.FraudAccepted || got.Status != getpaid.StatusPrepared {
		t.Errorf("after amounts-only change: %+v", got)
	}
	if h := mustHistory(t, s, p.ID); len(h) != 1 {
		t.Errorf("History = %v, want only the prepare row", h)
	}
	if evs := allEvents(t, s, ""); len(evs) != 2 {
		t.Errorf("pending = %d events, want created + prepared", len(evs))
	}
}

// testResultIsolated checks that payments handed out are copies.
func testResultIsolated(t *testing.T, s getpaid.Store) {
	p := newPayment("o-iso", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	res := mustUpdate(t, s, p.ID, prepare("ISO"))
	res.Payment.Status = getpaid.StatusPaid
	res.Payment.Redirect.URL = "changed"
	got := mustGet(t, s, p.ID)
	if got.Status != getpaid.StatusPrepared || got.Redirect.URL == "changed" {
		t.Errorf("UpdateResult.Payment aliases stored state: %+v", got)
	}
	// What a read hands out is the caller's too.
	got.Status, got.Redirect.URL = getpaid.StatusPaid, "changed"
	h := mustHistory(t, s, p.ID)
	h[0].Cause = "changed"
	if again := mustGet(t, s, p.ID); again.Status != getpaid.StatusPrepared || again.Redirect.URL == "changed" {
		t.Errorf("Payment aliases stored state: %+v", again)
	}
	if again := mustHistory(t, s, p.ID); again[0].Cause == "changed" {
		t.Errorf("History aliases stored state: %+v", again)
	}
}
