package storetest

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/getpaid-go/getpaid"
)

// DB is one database the suite runs a case against. Open returns a new
// handle on it each time it is called, as another process opening the same
// database would get: the cases across handles use two or three of them.
type DB interface {
	// Open opens another handle on the database, applying migrations as
	// the store's own Open does by default, and registers its Close with
	// t.Cleanup. It fails the test when the store cannot be opened.
	Open(t *testing.T) getpaid.Store
}

// MigratingDB is a DB of a store with schema migrations. The suite's
// migration cases run only on one; they get a new, empty database from
// Run's constructor like every other case.
type MigratingDB interface {
	DB
	// OpenStore opens a handle and returns Open's error instead of failing
	// the test: with noMigrate, a handle that refuses a database whose
	// schema is behind instead of migrating it. The caller closes it.
	OpenStore(ctx context.Context, noMigrate bool) (getpaid.Store, error)
	// Migrate applies the migrations up to and including version (all of
	// them when version is 0), as "getpaid migrate" does, and returns the
	// versions it applied.
	Migrate(ctx context.Context, version int64) ([]int64, error)
	// SetNewer records in the database a migration newer than any the store
	// knows, as a newer getpaid would have.
	SetNewer(ctx context.Context) error
}

// Run runs the conformance suite against databases made by newDB, which must
// return a new, empty database (no schema applied yet) for each subtest and
// remove it at the end of the test (t.Cleanup). Every subtest gets its own
// database and runs in parallel with the others; most cases use one handle,
// the "Handles" cases several on one database, and the "Migrations" cases
// run when the DB is a MigratingDB.
func Run(t *testing.T, newDB func(t *testing.T) DB) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Create", createTests},
		{"Update", updateTests},
		{"Concurrency", concurrencyTests},
		{"Events", eventTests},
		{"Deliveries", deliveryTests},
		{"Leases", leaseTests},
		{"Operations", operationTests},
		{"Stats", statsTests},
		{"Listing", listingTests},
		{"View", viewTests},
		{"NotText", notTextTests},
		{"Handles", handleTests},
		{"Migrations", migrationTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					db := newDB(t)
					if tc.runDB != nil {
						tc.runDB(t, db)
						return
					}
					tc.run(t, db.Open(t))
				})
			}
		})
	}
}

// SharedDB is the DB of a store whose handles are one value (an in-memory
// store): Open returns the same store every time.
type SharedDB struct{ Store getpaid.Store }

// Open implements DB.
func (d SharedDB) Open(*testing.T) getpaid.Store { return d.Store }

// test is one named check of the suite: run gets one handle, runDB the
// database (for cases across handles, or of migrations).
type test struct {
	name  string
	run   func(t *testing.T, s getpaid.Store)
	runDB func(t *testing.T, db DB)
}

// cmpOpts compares payments and events: times by instant (time.Equal) and nil
// and empty maps alike.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// soon is a second from now, in whole microseconds: stores keep times to
// the microsecond (see getpaid.Store), so a time a case gives a store is
// read back equal.
func soon() time.Time { return time.Now().Add(time.Second).UTC().Truncate(time.Microsecond) }

// ctx returns a context that ends with the test.
func ctx(t *testing.T) context.Context { return t.Context() }

// newPayment returns a new payment of amount minor units of currency for order.
func newPayment(order string, minor int64, currency string) *getpaid.Payment {
	return &getpaid.Payment{
		ID:          getpaid.NewID("pay"),
		OrderID:     order,
		Backend:     "dummy",
		Status:      getpaid.StatusNew,
		Amount:      getpaid.Money{Minor: minor, Currency: currency},
		Description: "Order " + order,
		Buyer: getpaid.Buyer{
			Email: "jan@example.com", FirstName: "Jan", LastName: "Kowalski",
			Phone: "+48 600 000 000", Language: "pl",
		},
		ReturnURL: "https://shop.example/orders/" + order,
		ClientIP:  "203.0.113.7",
	}
}

// fullPayment returns a payment with every field set to a non-zero value.
func fullPayment(order string) *getpaid.Payment {
	p := newPayment(order, math.MaxInt64/100, "PLN")
	p.Locked, p.Captured, p.Refunded, p.RefundAsked, p.Advance = 7, 11, 3, 2, 5
	p.ExternalID = "ext-" + order
	p.Redirect = &getpaid.Redirect{
		Method: "POST", URL: "https://broker.example/pay?x=1&y=ż",
		Fields: map[string]string{"sig": "abc=", "amount": "10.00", "empty": "", "zażółć": "gęślą jaźń"},
	}
	p.Fraud = getpaid.FraudCheck
	p.CreateKey = getpaid.NewID("key")
	return p
}

// mustCreate creates p or fails the test.
func mustCreate(t *testing.T, s getpaid.Store, p *getpaid.Payment, opts getpaid.CreateOptions) {
	t.Helper()
	if err := create(t, s, p, opts); err != nil {
		t.Fatalf("CreatePayment(%s): %v", p.ID, err)
	}
}

// create runs CreatePayment and, when it succeeds, sets *p to the payment as
// stored (Version, CreatedAt, UpdatedAt, and Then's change).
func create(t *testing.T, s getpaid.Store, p *getpaid.Payment, opts getpaid.CreateOptions) error {
	t.Helper()
	res, err := s.CreatePayment(ctx(t), p, opts)
	if err != nil {
		return err
	}
	*p = *res.Payment.Clone()
	return nil
}

// byOrder lists an order's payments oldest first, through the listing.
func byOrder(t *testing.T, s getpaid.Store, order string) ([]*getpaid.Payment, error) {
	t.Helper()
	var out []*getpaid.Payment
	f := getpaid.PaymentFilter{OrderID: order}
	for {
		page, err := s.Payments(ctx(t), f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Payments...)
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	slices.Reverse(out)
	return out, nil
}

// mustGet reads payment id or fails the test.
func mustGet(t *testing.T, s getpaid.Store, id string) *getpaid.Payment {
	t.Helper()
	p, err := s.Payment(ctx(t), id)
	if err != nil {
		t.Fatalf("Payment(%s): %v", id, err)
	}
	return p
}

// mustUpdate runs m on payment id or fails the test.
func mustUpdate(t *testing.T, s getpaid.Store, id string, m getpaid.Mutation) *getpaid.UpdateResult {
	t.Helper()
	res, err := s.UpdatePayment(ctx(t), id, m)
	if err != nil {
		t.Fatalf("UpdatePayment(%s, %q): %v", id, m.EventKey, err)
	}
	return res
}

// mustHistory reads payment id's history or fails the test.
func mustHistory(t *testing.T, s getpaid.Store, id string) []getpaid.Transition {
	t.Helper()
	h, err := s.History(ctx(t), id)
	if err != nil {
		t.Fatalf("History(%s): %v", id, err)
	}
	return h
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t *testing.T, op string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", op, err, want)
	}
	// A refusal (or Apply's own error) must not read as the database being
	// down: the HTTP layer would answer 503 and invite endless retries.
	if want != getpaid.ErrUnavailable && errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("%s: error %v is also getpaid.ErrUnavailable", op, err)
	}
}

// prepare is a mutation moving a new payment to prepared with a redirect.
func prepare(externalID string) getpaid.Mutation {
	return getpaid.Mutation{
		Cause: "prepared",
		Apply: func(p *getpaid.Payment) (bool, error) {
			r := &getpaid.Redirect{Method: "GET", URL: "https://broker.example/pay/" + externalID}
			return true, getpaid.MarkPrepared(p, externalID, r)
		},
	}
}

// observe is a mutation applying o under event key key.
func observe(key string, o *getpaid.Observation) getpaid.Mutation {
	return getpaid.Mutation{
		EventKey: key, Cause: o.Cause(),
		Apply: func(p *getpaid.Payment) (bool, error) { return getpaid.Apply(p, o) },
	}
}

// paidObservation is a full capture of p's amount.
func paidObservation(p *getpaid.Payment) *getpaid.Observation {
	return &getpaid.Observation{
		PaymentID: p.ID, EventID: "evt-paid", Kind: getpaid.KindCaptured,
		Amount: p.Amount, Full: true, BrokerStatus: "COMPLETED",
	}
}

// failed is a mutation failing a payment.
func failed() getpaid.Mutation {
	return observe("", &getpaid.Observation{Kind: getpaid.KindFailed, BrokerStatus: "DECLINED"})
}

// cancelled is a mutation cancelling a payment.
func cancelled() getpaid.Mutation {
	return observe("", &getpaid.Observation{Kind: getpaid.KindReleased, BrokerStatus: "CANCELED"})
}

// isNotFound reports whether err is getpaid.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, getpaid.ErrNotFound) }
