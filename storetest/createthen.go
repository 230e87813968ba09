package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

// testCreateThen checks CreateOptions.Then: the first change is made in the
// creating transaction, with its history row and both events.
func testCreateThen(t *testing.T, s getpaid.Store) {
	p := newPayment("o-then", 1234, "PLN")
	r := &getpaid.Redirect{Method: "GET", URL: "https://broker.example/pay/1", Fields: map[string]string{}}
	err := create(t, s, p, getpaid.CreateOptions{Then: &getpaid.Mutation{
		EventKey: "dummy:then", Cause: "prepared at broker",
		Apply: func(q *getpaid.Payment) (bool, error) { return true, getpaid.MarkPrepared(q, "ext-then", r) },
	}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != getpaid.StatusPrepared || p.Version != 2 || p.ExternalID != "ext-then" {
		t.Fatalf("p after create-then: status %s version %d external %q", p.Status, p.Version, p.ExternalID)
	}
	got := mustGet(t, s, p.ID)
	if diff := cmp.Diff(p, got, cmpOpts); diff != "" {
		t.Errorf("read back differs (-created +read):\n%s", diff)
	}
	if byExt, err := s.PaymentByExternalID(ctx(t), "dummy", "ext-then"); err != nil || byExt.ID != p.ID {
		t.Errorf("by external id: %v, %v", byExt, err)
	}
	h, err := s.History(ctx(t), p.ID)
	if err != nil || len(h) != 1 || h[0].From != getpaid.StatusNew || h[0].To != getpaid.StatusPrepared || h[0].Cause != "prepared at broker" {
		t.Fatalf("history %+v, %v", h, err)
	}
	evs := allEvents(t, s, "")
	if len(evs) != 2 || evs[0].Type != getpaid.EventPaymentCreated || evs[1].Type != getpaid.EventStatusChanged ||
		evs[1].To != getpaid.StatusPrepared || evs[1].ID != getpaid.NewStatusEvent(p, getpaid.StatusNew, p.UpdatedAt, "").ID {
		t.Fatalf("events %+v", evs)
	}
	// Then's event key is recorded as UpdatePayment records one: the same
	// broker event again is a repeat, refused before its Apply runs.
	if ok, err := s.EventApplied(ctx(t), p.ID, "dummy:then"); err != nil || !ok {
		t.Errorf("EventApplied of Then's event key = %v, %v; want true", ok, err)
	}
	_, err = s.UpdatePayment(ctx(t), p.ID, getpaid.Mutation{EventKey: "dummy:then", Apply: func(*getpaid.Payment) (bool, error) {
		t.Error("Apply called for a repeat of Then's event")
		return false, nil
	}})
	wantErr(t, "repeat of Then's event", err, getpaid.ErrDuplicateEvent)
}

// testCreateThenFails checks that a failing Then leaves nothing behind.
func testCreateThenFails(t *testing.T, s getpaid.Store) {
	p := newPayment("o-then-fail", 100, "PLN")
	boom := errors.New("boom")
	err := create(t, s, p, getpaid.CreateOptions{Then: &getpaid.Mutation{
		EventKey: "k-then", Apply: func(*getpaid.Payment) (bool, error) { return false, boom },
	}})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if _, err := s.Payment(ctx(t), p.ID); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("payment stored after a failed Then: %v", err)
	}
	if evs := allEvents(t, s, ""); len(evs) != 0 {
		t.Fatalf("events left after a failed Then: %+v", evs)
	}
}
