package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

var createTests = []test{
	{"RoundTrip", testRoundTrip, nil},
	{"Currencies", testCurrencies, nil},
	{"NotFound", testNotFound, nil},
	{"ByExternalID", testByExternalID, nil},
	{"ByOrderOldestFirst", testByOrder, nil},
	{"DuplicateID", testDuplicateID, nil},
	{"DuplicateExternalID", testDuplicateExternalID, nil},
	{"DuplicateExternalIDOnUpdate", testDuplicateExternalIDOnUpdate, nil},
	{"OneLivePerOrder", testOneLivePerOrder, nil},
	{"OneLiveIgnoredWithoutOption", testOneLiveOff, nil},
	{"OneLiveCreatedEnded", testOneLiveCreatedEnded, nil},
	{"CreateKey", testCreateKey, nil},
	{"CreateThen", testCreateThen, nil},
	{"CreateThenFails", testCreateThenFails, nil},
	{"StalePayments", testStalePayments, nil},
	{"StaleClaims", testStaleClaims, nil},
	{"StaleEnded", testStaleEnded, nil},
}

// testRoundTrip creates a payment with every field set and reads it back.
func testRoundTrip(t *testing.T, s getpaid.Store) {
	p := fullPayment("o-rt")
	before := time.Now().Add(-time.Second)
	mustCreate(t, s, p, getpaid.CreateOptions{})
	if p.Version != 1 {
		t.Errorf("after CreatePayment Version = %d, want 1", p.Version)
	}
	if p.CreatedAt.Before(before) || p.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", p.CreatedAt)
	}
	if !p.UpdatedAt.Equal(p.CreatedAt) {
		t.Errorf("UpdatedAt = %v, want CreatedAt %v", p.UpdatedAt, p.CreatedAt)
	}
	got := mustGet(t, s, p.ID)
	if diff := cmp.Diff(p, got, cmpOpts); diff != "" {
		t.Errorf("Payment read back differs (-created +read):\n%s", diff)
	}
	// The store must not keep references into the caller's values.
	p.Redirect.Fields["sig"] = "changed"
	got.Redirect.Fields["amount"] = "changed"
	again := mustGet(t, s, p.ID)
	if again.Redirect.Fields["sig"] != "abc=" || again.Redirect.Fields["amount"] != "10.00" {
		t.Errorf("store shares the Redirect map with callers: %v", again.Redirect.Fields)
	}
	if h := mustHistory(t, s, p.ID); len(h) != 0 {
		t.Errorf("History of a new payment = %v, want none", h)
	}
}

// testCurrencies round-trips amounts in currencies of 0, 2 and 3 minor digits.
func testCurrencies(t *testing.T, s getpaid.Store) {
	for _, m := range []getpaid.Money{
		getpaid.MustParseMoney("100000", "JPY"),
		getpaid.MustParseMoney("1.005", "KWD"),
		getpaid.MustParseMoney("12345.67", "PLN"),
		getpaid.MustParseMoney("0.01", "PLN"),
	} {
		p := newPayment("o-cur-"+m.Currency, m.Minor, m.Currency)
		p.Redirect = &getpaid.Redirect{Method: "GET", URL: "https://broker.example/" + m.Currency}
		mustCreate(t, s, p, getpaid.CreateOptions{})
		got := mustGet(t, s, p.ID)
		if got.Amount != m {
			t.Errorf("Amount = %v, want %v", got.Amount, m)
		}
		if diff := cmp.Diff(p, got, cmpOpts); diff != "" {
			t.Errorf("%v: read back differs (-created +read):\n%s", m, diff)
		}
	}
}

// testNotFound checks ErrNotFound from every lookup of a missing payment.
func testNotFound(t *testing.T, s getpaid.Store) {
	mustCreate(t, s, newPayment("o-nf", 100, "PLN"), getpaid.CreateOptions{})
	_, err := s.Payment(ctx(t), "pay_missing")
	wantErr(t, "Payment", err, getpaid.ErrNotFound)
	_, err = s.PaymentByExternalID(ctx(t), "dummy", "missing")
	wantErr(t, "PaymentByExternalID", err, getpaid.ErrNotFound)
	_, err = s.PaymentByExternalID(ctx(t), "dummy", "")
	wantErr(t, "PaymentByExternalID empty id", err, getpaid.ErrNotFound)
	_, err = s.History(ctx(t), "pay_missing")
	wantErr(t, "History", err, getpaid.ErrNotFound)
	called := false
	_, err = s.UpdatePayment(ctx(t), "pay_missing", getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) {
		called = true
		return true, nil
	}})
	wantErr(t, "UpdatePayment", err, getpaid.ErrNotFound)
	if called {
		t.Error("UpdatePayment called Apply for a missing payment")
	}
	ps, err := byOrder(t, s, "o-none")
	if err != nil || len(ps) != 0 {
		t.Errorf("PaymentsByOrder(unknown) = %v, %v; want none, nil", ps, err)
	}
}

// testByExternalID finds payments by backend and broker id.
func testByExternalID(t *testing.T, s getpaid.Store) {
	a := newPayment("o-ext-a", 100, "PLN")
	a.ExternalID = "X1"
	b := newPayment("o-ext-b", 200, "PLN")
	b.Backend = "payu"
	b.ExternalID = "X1" // same broker id, other backend: allowed
	c := newPayment("o-ext-c", 300, "PLN")
	for _, p := range []*getpaid.Payment{a, b, c} {
		mustCreate(t, s, p, getpaid.CreateOptions{})
	}
	for _, p := range []*getpaid.Payment{a, b} {
		got, err := s.PaymentByExternalID(ctx(t), p.Backend, p.ExternalID)
		if err != nil {
			t.Fatalf("PaymentByExternalID(%s, %s): %v", p.Backend, p.ExternalID, err)
		}
		if diff := cmp.Diff(p, got, cmpOpts); diff != "" {
			t.Errorf("PaymentByExternalID differs (-want +got):\n%s", diff)
		}
	}
	// An external id set later by UpdatePayment is found too.
	mustUpdate(t, s, c.ID, prepare("X2"))
	got, err := s.PaymentByExternalID(ctx(t), "dummy", "X2")
	if err != nil || got.ID != c.ID {
		t.Fatalf("PaymentByExternalID after prepare = %v, %v; want %s", got, err, c.ID)
	}
}

// testByOrder lists an order's payments oldest first, and only that order's.
func testByOrder(t *testing.T, s getpaid.Store) {
	var want []*getpaid.Payment
	for i := range 5 {
		p := newPayment("o-list", int64(100+i), "PLN")
		mustCreate(t, s, p, getpaid.CreateOptions{})
		want = append(want, p)
		mustCreate(t, s, newPayment("o-other", 1, "PLN"), getpaid.CreateOptions{})
	}
	got, err := byOrder(t, s, "o-list")
	if err != nil {
		t.Fatalf("PaymentsByOrder: %v", err)
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("PaymentsByOrder differs (-want +got):\n%s", diff)
	}
}

// testDuplicateID refuses a second payment with the same id.
func testDuplicateID(t *testing.T, s getpaid.Store) {
	p := newPayment("o-dup", 100, "PLN")
	mustCreate(t, s, p, getpaid.CreateOptions{})
	q := newPayment("o-dup2", 200, "PLN")
	q.ID = p.ID
	wantErr(t, "CreatePayment same id", create(t, s, q, getpaid.CreateOptions{}), getpaid.ErrConflict)
	if got := mustGet(t, s, p.ID); got.OrderID != "o-dup" {
		t.Errorf("duplicate create overwrote the payment: %+v", got)
	}
}

// testDuplicateExternalID refuses a second payment with the same broker id at
// the same backend.
func testDuplicateExternalID(t *testing.T, s getpaid.Store) {
	p := newPayment("o-dx", 100, "PLN")
	p.ExternalID = "EXT"
	mustCreate(t, s, p, getpaid.CreateOptions{})
	q := newPayment("o-dx2", 100, "PLN")
	q.ExternalID = "EXT"
	wantErr(t, "CreatePayment same external id", create(t, s, q, getpaid.CreateOptions{}), getpaid.ErrConflict)
	if _, err := s.Payment(ctx(t), q.ID); !isNotFound(err) {
		t.Errorf("refused payment was stored (err %v)", err)
	}
	// Payments without an external id never collide.
	for range 3 {
		mustCreate(t, s, newPayment("o-dx3", 1, "PLN"), getpaid.CreateOptions{})
	}
}

// testDuplicateExternalIDOnUpdate refuses a broker id learned after
// creation (registration, a first notification) that another payment of
// the backend has already, with ErrConflict and nothing written
// (django-getpaid: a duplicate real external id is rejected); payments
// prepared without one never collide.
func testDuplicateExternalIDOnUpdate(t *testing.T, s getpaid.Store) {
	a := newPayment("o-dxu", 100, "PLN")
	mustCreate(t, s, a, getpaid.CreateOptions{})
	mustUpdate(t, s, a.ID, prepare("EXT-U"))
	b := newPayment("o-dxu2", 100, "PLN")
	mustCreate(t, s, b, getpaid.CreateOptions{})
	_, err := s.UpdatePayment(ctx(t), b.ID, prepare("EXT-U"))
	wantErr(t, "UpdatePayment to another payment's external id", err, getpaid.ErrConflict)
	got, err := s.Payment(ctx(t), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExternalID != "" || got.Status != getpaid.StatusNew || got.Version != b.Version {
		t.Errorf("refused update was written: external id %q, %s, version %d -> %d", got.ExternalID, got.Status, b.Version, got.Version)
	}
	if h := mustHistory(t, s, b.ID); len(h) != 0 {
		t.Errorf("refused update wrote history %+v", h)
	}
	if owner, err := s.PaymentByExternalID(ctx(t), a.Backend, "EXT-U"); err != nil || owner.ID != a.ID {
		t.Errorf("PaymentByExternalID(EXT-U) = %v, %v; want %s", owner, err, a.ID)
	}
	for _, id := range []string{"o-dxu3", "o-dxu4"} {
		p := newPayment(id, 1, "PLN")
		mustCreate(t, s, p, getpaid.CreateOptions{})
		mustUpdate(t, s, p.ID, prepare(""))
	}
}

// testOneLivePerOrder checks the live-payment policy.
func testOneLivePerOrder(t *testing.T, s getpaid.Store) {
	live := getpaid.CreateOptions{OneLivePerOrder: true}
	a := newPayment("o-live", 100, "PLN")
	mustCreate(t, s, a, live)
	b := newPayment("o-live", 100, "PLN")
	wantErr(t, "second live payment", create(t, s, b, live), getpaid.ErrLivePaymentExists)
	if _, err := s.Payment(ctx(t), b.ID); !isNotFound(err) {
		t.Errorf("refused payment was stored (err %v)", err)
	}
	// Prepared still counts as live.
	mustUpdate(t, s, a.ID, prepare("L1"))
	wantErr(t, "live after prepare", create(t, s, b, live), getpaid.ErrLivePaymentExists)
	// Failed and cancelled payments do not count; several may coexist.
	mustUpdate(t, s, a.ID, failed())
	mustCreate(t, s, b, live)
	mustUpdate(t, s, b.ID, cancelled())
	c := newPayment("o-live", 100, "PLN")
	mustCreate(t, s, c, live)
	mustUpdate(t, s, c.ID, failed())
	d := newPayment("o-live", 100, "PLN")
	mustCreate(t, s, d, live)
	wantErr(t, "live after d", create(t, s, newPayment("o-live", 1, "PLN"), live), getpaid.ErrLivePaymentExists)
	// Money arriving for a failed payment is recorded although d is live:
	// the rule refuses new payments, never a broker's facts.
	if res := mustUpdate(t, s, c.ID, observe("dummy:late", paidObservation(c))); res.Payment.Status != getpaid.StatusPaid {
		t.Fatalf("late payment of a failed one: %s, want paid", res.Payment.Status)
	}
	// Other orders are not affected.
	mustCreate(t, s, newPayment("o-live-other", 100, "PLN"), live)
	ps, err := byOrder(t, s, "o-live")
	if err != nil || len(ps) != 4 {
		t.Fatalf("PaymentsByOrder = %d payments, %v; want 4", len(ps), err)
	}
	var gotStatus []getpaid.Status
	for _, p := range ps {
		gotStatus = append(gotStatus, p.Status)
	}
	wantStatus := []getpaid.Status{getpaid.StatusFailed, getpaid.StatusCancelled, getpaid.StatusPaid, getpaid.StatusNew}
	if diff := cmp.Diff(wantStatus, gotStatus); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	// c left the rule for good when it failed: paid since, it does not
	// count, so once d ends the order may have a live payment again.
	mustUpdate(t, s, d.ID, failed())
	if err := create(t, s, newPayment("o-live", 1, "PLN"), live); err != nil {
		t.Fatalf("a live payment after d failed, c failed then paid: %v", err)
	}
}

// testOneLiveCreatedEnded creates payments under the one-live policy that
// their first change (CreateOptions.Then) fails or cancels: they leave the
// rule at once, as one that fails later does, so money reported for them
// afterwards is recorded while another payment of the order is live, and
// does not make them block the order again.
func testOneLiveCreatedEnded(t *testing.T, s getpaid.Store) {
	for _, tc := range []struct {
		name string
		end  getpaid.Mutation
	}{
		{"failed", failed()},
		{"cancelled", cancelled()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			order := "o-live-ended-" + tc.name
			live := getpaid.CreateOptions{OneLivePerOrder: true}
			a := newPayment(order, 100, "PLN")
			mustCreate(t, s, a, getpaid.CreateOptions{OneLivePerOrder: true, Then: &tc.end})
			b := newPayment(order, 100, "PLN")
			mustCreate(t, s, b, live)
			if res := mustUpdate(t, s, a.ID, observe("dummy:late", paidObservation(a))); res.Payment.Status != getpaid.StatusPaid {
				t.Fatalf("late payment of one created %s: %s, want paid", tc.name, res.Payment.Status)
			}
			mustUpdate(t, s, b.ID, failed())
			if err := create(t, s, newPayment(order, 1, "PLN"), live); err != nil {
				t.Fatalf("a live payment after b failed, a created %s then paid: %v", tc.name, err)
			}
		})
	}
}

// testOneLiveOff allows several live payments when the option is off.
func testOneLiveOff(t *testing.T, s getpaid.Store) {
	for range 3 {
		mustCreate(t, s, newPayment("o-many", 100, "PLN"), getpaid.CreateOptions{})
	}
	ps, err := byOrder(t, s, "o-many")
	if err != nil || len(ps) != 3 {
		t.Fatalf("PaymentsByOrder = %d, %v; want 3", len(ps), err)
	}
}
