package storetest

import (
	"testing"

	"github.com/getpaid-go/getpaid"
)

// testCreateKey checks the idempotency key a payment is created with: read
// back, found by PaymentFilter.CreateKey, unique (a second payment with it
// is refused with ErrConflict and nothing is written), never changed by a
// mutation, and no constraint among payments created without one.
func testCreateKey(t *testing.T, s getpaid.Store) {
	key := getpaid.NewID("ck")
	p := newPayment("o-ck", 100, "PLN")
	p.CreateKey = key
	mustCreate(t, s, p, getpaid.CreateOptions{})
	if got := mustGet(t, s, p.ID); got.CreateKey != key {
		t.Errorf("CreateKey read back = %q, want %q", got.CreateKey, key)
	}

	q := newPayment("o-ck2", 200, "EUR")
	q.CreateKey = key
	wantErr(t, "CreatePayment with a key taken", create(t, s, q, getpaid.CreateOptions{}), getpaid.ErrConflict)
	if _, err := s.Payment(ctx(t), q.ID); !isNotFound(err) {
		t.Errorf("payment refused for its key was stored (err %v)", err)
	}

	// A mutation cannot move the key to another request's.
	mustUpdate(t, s, p.ID, getpaid.Mutation{Cause: "test", Apply: func(x *getpaid.Payment) (bool, error) {
		x.CreateKey, x.Description = "changed", "d"
		return true, nil
	}})
	if got := mustGet(t, s, p.ID); got.CreateKey != key || got.Description != "d" {
		t.Errorf("after a mutation CreateKey = %q (description %q), want %q kept", got.CreateKey, got.Description, key)
	}

	for range 3 { // without a key: no constraint
		mustCreate(t, s, newPayment("o-ck3", 1, "PLN"), getpaid.CreateOptions{})
	}
	page, err := s.Payments(ctx(t), getpaid.PaymentFilter{CreateKey: key})
	if err != nil || len(page.Payments) != 1 || page.Payments[0].ID != p.ID {
		t.Fatalf("Payments(CreateKey) = %v, %v; want only %s", ids(page), err, p.ID)
	}
	if page, err := s.Payments(ctx(t), getpaid.PaymentFilter{CreateKey: getpaid.NewID("ck")}); err != nil || len(page.Payments) != 0 {
		t.Errorf("Payments(unknown CreateKey) = %v, %v; want none", ids(page), err)
	}
	if page, err := s.Payments(ctx(t), getpaid.PaymentFilter{CreateKey: key, OrderID: "o-ck2"}); err != nil || len(page.Payments) != 0 {
		t.Errorf("Payments(CreateKey, another order) = %v, %v; want none", ids(page), err)
	}
}

// testHandlesCreateKey creates payments with one idempotency key from
// three handles at once: exactly one is created, the others are refused
// with ErrConflict.
func testHandlesCreateKey(t *testing.T, db DB) {
	const n = 30
	hs := handles(t, db, 3)
	key := getpaid.NewID("ck")
	raceCreates(t, n, getpaid.ErrConflict, getpaid.CreateOptions{}, func() *getpaid.Payment {
		p := newPayment("o-h-ck", 100, "PLN")
		p.CreateKey = key
		return p
	}, func(i int) getpaid.Store { return hs[i%3] })
	page, err := hs[1].Payments(ctx(t), getpaid.PaymentFilter{CreateKey: key})
	if err != nil || len(page.Payments) != 1 {
		t.Errorf("Payments(CreateKey) = %v, %v; want one", ids(page), err)
	}
}

// ids are the payment ids of page, for messages.
func ids(page *getpaid.PaymentPage) []string {
	if page == nil {
		return nil
	}
	out := make([]string, len(page.Payments))
	for i, p := range page.Payments {
		out[i] = p.ID
	}
	return out
}
