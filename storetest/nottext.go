package storetest

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

// notTextTests check what a store does with strings that are not text: a
// NUL (a %00 in a URL, "\u0000" in a broker's JSON) or bytes that are not
// UTF-8 (a %C5 on its own). They reach the store from unauthenticated
// places (a buyer's /success/{id}, a callback's payment id) and from the
// API's filters; PostgreSQL cannot hold them in text, and a store that
// passed them on failed with an internal error (HTTP 500) where every
// other store answered "not found" or listed nothing.
var notTextTests = []test{
	{"LookupsFindNothing", testNotTextLookups, nil},
	{"EventKeyDeduplicates", testNotTextEventKey, nil},
	{"LongEventKeyDeduplicates", testLongEventKey, nil},
	{"BrokerIDsStored", testNotTextBrokerIDs, nil},
}

// notText are ids and filter values no stored row has.
var notText = []string{"pay_\x00x", "pay_\xc5x", "\x00", "\xff"}

// testNotTextLookups checks every lookup and filter by such a string.
func testNotTextLookups(t *testing.T, s getpaid.Store) {
	p := newPayment("o-nt", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	for _, v := range notText {
		_, err := s.Payment(ctx(t), v)
		wantErr(t, "Payment", err, getpaid.ErrNotFound)
		_, err = s.PaymentByExternalID(ctx(t), "dummy", v)
		wantErr(t, "PaymentByExternalID", err, getpaid.ErrNotFound)
		_, err = s.PaymentByExternalID(ctx(t), v, "ext")
		wantErr(t, "PaymentByExternalID (backend)", err, getpaid.ErrNotFound)
		_, err = s.History(ctx(t), v)
		wantErr(t, "History", err, getpaid.ErrNotFound)
		_, err = s.Operation(ctx(t), v)
		wantErr(t, "Operation", err, getpaid.ErrNotFound)
		_, err = s.Event(ctx(t), v)
		wantErr(t, "Event", err, getpaid.ErrNotFound)
		_, err = s.Attempts(ctx(t), v)
		wantErr(t, "Attempts", err, getpaid.ErrNotFound)
		_, err = s.UpdatePayment(ctx(t), v, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return true, nil }})
		wantErr(t, "UpdatePayment", err, getpaid.ErrNotFound)
		if applied, err := s.EventApplied(ctx(t), p.ID, "dummy:"+v); err != nil || applied {
			t.Errorf("EventApplied(%q) = %v, %v; want false, nil", v, applied, err)
		}
		if pv, ok := s.(getpaid.PaymentViewer); ok {
			// A wrapper may have the method and answer ErrNotSupported
			// (the PaymentViewer contract allows it).
			if _, err = pv.ViewPayment(ctx(t), getpaid.ViewRequest{PaymentID: v}); !errors.Is(err, getpaid.ErrNotSupported) {
				wantErr(t, "ViewPayment", err, getpaid.ErrNotFound)
			}
		}
		for name, f := range map[string]getpaid.PaymentFilter{
			"order": {OrderID: v}, "backend": {Backend: v}, "currency": {Currency: v}, "status": {Status: getpaid.Status(v)},
		} {
			if page, err := s.Payments(ctx(t), f); err != nil || len(page.Payments) != 0 {
				t.Errorf("Payments by %s %q: %+v, %v; want none", name, v, page, err)
			}
		}
		if page, err := s.Operations(ctx(t), getpaid.OperationFilter{PaymentID: v}); err != nil || len(page.Operations) != 0 {
			t.Errorf("Operations of %q: %+v, %v; want none", v, page, err)
		}
		if page, err := s.Operations(ctx(t), getpaid.OperationFilter{IdempotencyKey: v}); err != nil || len(page.Operations) != 0 {
			t.Errorf("Operations with key %q: %+v, %v; want none", v, page, err)
		}
		if page, err := s.Events(ctx(t), getpaid.EventFilter{PaymentID: v}); err != nil || len(page.Events) != 0 {
			t.Errorf("Events of %q: %+v, %v; want none", v, page, err)
		}
		for name, f := range map[string]getpaid.DeliveryFilter{"event": {EventID: v}, "payment": {PaymentID: v}, "consumer": {Consumer: v}} {
			if page, err := s.Deliveries(ctx(t), f); err != nil || len(page.Deliveries) != 0 {
				t.Errorf("Deliveries by %s %q: %+v, %v; want none", name, v, page, err)
			}
		}
		if n, err := s.ReplayDeliveries(ctx(t), getpaid.ReplayRequest{EventID: v, Now: soon()}); err != nil || n != 0 {
			t.Errorf("ReplayDeliveries of %q: %d, %v; want 0", v, n, err)
		}
	}
}

// testNotTextEventKey checks that a broker event whose id is not text is
// applied once, like any other: its repeat is a duplicate.
func testNotTextEventKey(t *testing.T, s getpaid.Store) {
	for i, v := range notText {
		p := newPayment("o-ntk-"+string(rune('a'+i)), 100, "PLN")
		mustCreate(t, s, p, getpaid.CreateOptions{})
		mustUpdate(t, s, p.ID, prepare("X-"+p.OrderID))
		m := observe("dummy:"+v, paidObservation(p))
		mustUpdate(t, s, p.ID, m)
		_, err := s.UpdatePayment(ctx(t), p.ID, m)
		wantErr(t, "the same event again", err, getpaid.ErrDuplicateEvent)
		if applied, err := s.EventApplied(ctx(t), p.ID, "dummy:"+v); err != nil || !applied {
			t.Errorf("EventApplied(%q) = %v, %v; want true", v, applied, err)
		}
		// Another event id is another event.
		if applied, err := s.EventApplied(ctx(t), p.ID, "dummy:"+v+"2"); err != nil || applied {
			t.Errorf("EventApplied(%q) = %v, %v; want false", v+"2", applied, err)
		}
	}
}

// testLongEventKey checks that a broker event with a long id (as long as a
// callback body may carry; random, so it does not compress) is applied
// once and its repeat is a duplicate: PostgreSQL's b-tree refuses index
// entries over about 2.7 kB, and a store that indexed the key as it came
// answered such a callback with an internal error, for ever.
func testLongEventKey(t *testing.T, s getpaid.Store) {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	long := make([]byte, 6000)
	for i := range long {
		long[i] = letters[rand.IntN(len(letters))]
	}
	p := newPayment("o-lek", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	mustUpdate(t, s, p.ID, prepare("X-"+p.OrderID))
	m := observe("dummy:"+string(long), paidObservation(p))
	mustUpdate(t, s, p.ID, m)
	_, err := s.UpdatePayment(ctx(t), p.ID, m)
	wantErr(t, "the same event again", err, getpaid.ErrDuplicateEvent)
	if applied, err := s.EventApplied(ctx(t), p.ID, "dummy:"+string(long)); err != nil || !applied {
		t.Errorf("EventApplied(long) = %v, %v; want true", applied, err)
	}
	long[len(long)-1] = '!'
	if applied, err := s.EventApplied(ctx(t), p.ID, "dummy:"+string(long)); err != nil || applied {
		t.Errorf("EventApplied(another long) = %v, %v; want false", applied, err)
	}
}

// testNotTextBrokerIDs checks that what a broker names a payment or a
// refund by (its transaction id, the redirect it answered, its refund id)
// is stored on every store alike when it is not text: each NUL or byte run
// that is not UTF-8 kept as U+FFFD, as a broker's words in a cause are.
// PostgreSQL refused such a row: a notification capturing a payment under
// the transaction id "T\u0000" was answered 500 for ever there, the
// payment never paid, where the other stores recorded it.
func testNotTextBrokerIDs(t *testing.T, s getpaid.Store) {
	for _, tc := range []struct{ name, said, want string }{
		{"nul", "T\x00", "T\uFFFD"},
		{"cut character", "T-\xc5", "T-\uFFFD"},
		{"not UTF-8", "\xff\xfe", "\uFFFD"},
	} {
		p := newPayment("o-nbi-"+tc.name, 10000, "PLN")
		mustCreate(t, s, p, getpaid.CreateOptions{})
		res := mustUpdate(t, s, p.ID, getpaid.Mutation{Cause: "prepared", Apply: func(q *getpaid.Payment) (bool, error) {
			return true, getpaid.MarkPrepared(q, "", &getpaid.Redirect{Method: "POST", URL: "https://broker.example/" + tc.said,
				Fields: map[string]string{"sig" + tc.said: "v" + tc.said}})
		}})
		want := &getpaid.Redirect{Method: "POST", URL: "https://broker.example/" + tc.want,
			Fields: map[string]string{"sig" + tc.want: "v" + tc.want}}
		if got := mustGet(t, s, p.ID); !cmp.Equal(got.Redirect, want) || !cmp.Equal(res.Payment.Redirect, want) {
			t.Errorf("%s: redirect stored %+v (handed back %+v), want %+v", tc.name, got.Redirect, res.Payment.Redirect, want)
		}
		// The capture names the broker's transaction, the payment's id
		// from then on.
		paid := paidObservation(p)
		paid.ExternalID = tc.said
		res, err := s.UpdatePayment(ctx(t), p.ID, observe("dummy:"+tc.name, paid))
		if err != nil {
			t.Fatalf("%s: the capture was not stored: %v", tc.name, err)
		}
		if got := mustGet(t, s, p.ID); got.Status != getpaid.StatusPaid || got.ExternalID != tc.want || res.Payment.ExternalID != tc.want {
			t.Errorf("%s: payment %s with external id %q (handed back %q), want paid with %q", tc.name, got.Status, got.ExternalID,
				res.Payment.ExternalID, tc.want)
		}
		if q, err := s.PaymentByExternalID(ctx(t), "dummy", tc.want); err != nil || q.ID != p.ID {
			t.Errorf("%s: PaymentByExternalID(%q) = %v, %v; want %s", tc.name, tc.want, q, err, p.ID)
		}
		_, err = s.PaymentByExternalID(ctx(t), "dummy", tc.said)
		wantErr(t, tc.name+": PaymentByExternalID as the broker said it", err, getpaid.ErrNotFound)
		// A refund the broker numbered so.
		op := refundOp(res.Payment, 1000, "")
		op.BrokerRef = "R" + tc.said
		mustUpdate(t, s, p.ID, askRefund(op))
		mustUpdate(t, s, p.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
			Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
				o.BrokerRef = "S" + tc.said
				return true, nil
			}}})
		if got, err := s.Operation(ctx(t), op.ID); err != nil || got.BrokerRef != "S"+tc.want {
			t.Errorf("%s: operation's broker ref %q, %v; want %q", tc.name, got.BrokerRef, err, "S"+tc.want)
		}
	}
}
