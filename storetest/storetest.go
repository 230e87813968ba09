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

// Run runs the conformance suite against stores made by newStore, which must
// return a fresh, empty store for each subtest (and should register its Close
// with t.Cleanup). Every subtest gets its own store and runs in parallel with
// the others.
func Run(t *testing.T, newStore func(t *testing.T) getpaid.Store) {
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
		{"Operations", operationTests},
		{"Stats", statsTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, newStore(t))
				})
			}
		})
	}
}

// test is one named check of the suite.
type test struct {
	name string
	run  func(t *testing.T, s getpaid.Store)
}

// cmpOpts compares payments and events: times by instant (time.Equal) and nil
// and empty maps alike.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

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
