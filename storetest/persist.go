package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/getpaid-go/getpaid"
)

// testHandlesEveryFieldStored changes every field of a payment a mutation
// may change, five times (the indexed columns left alone, then the broker
// id changed too, then left alone again, then the currency alone, then the
// order and backend: a store may write these kinds of change differently),
// and after each change reads the payment on a handle opened afterwards;
// then lists it by each indexed column. A handle serves its own reads from
// what it wrote (a cache): only another handle shows what the database
// holds, so a column a store forgets to write is seen nowhere else.
func testHandlesEveryFieldStored(t *testing.T, db DB) {
	a := db.Open(t)
	p := newPayment("o-h-every", 100000, "PLN")
	mustCreate(t, a, p, getpaid.CreateOptions{})
	mustUpdate(t, a, p.ID, prepare("H-EVERY"))
	for _, step := range []struct {
		name  string
		apply func(q *getpaid.Payment)
	}{
		{"paid in part (state columns)", func(q *getpaid.Payment) {
			q.Status, q.Locked, q.Captured, q.Advance, q.ActiveOp = getpaid.StatusPartiallyPaid, 60000, 40000, 7, "op_h_every_1"
			q.Fraud = getpaid.FraudCheck
			q.Description, q.ReturnURL, q.ClientIP = "Zamówienie ąę 1", "https://shop.example/orders/1", "198.51.100.1"
			q.Buyer = getpaid.Buyer{Email: "anna@example.com", FirstName: "Anna", LastName: "Nowak", Phone: "+48 600 000 001", Language: "en"}
			q.Redirect = &getpaid.Redirect{Method: "POST", URL: "https://broker.example/hold", Fields: map[string]string{"a": "1"}}
		}},
		{"paid, refunded in part (broker id changed too)", func(q *getpaid.Payment) {
			q.Status, q.Locked, q.Captured, q.Refunded, q.RefundAsked = getpaid.StatusPartiallyRefunded, 0, 100000, 1000, 2500
			q.Advance, q.ActiveOp = 9, "op_h_every_2"
			q.ExternalID, q.Fraud = "H-EVERY-2", getpaid.FraudAccepted
			q.Description, q.ReturnURL, q.ClientIP = "Zamówienie ąę 2", "https://shop.example/orders/2", "198.51.100.2"
			q.Buyer = getpaid.Buyer{Email: "ewa@example.com", FirstName: "Ewa", LastName: "Lis", Phone: "+48 600 000 002", Language: "de"}
			q.Redirect = &getpaid.Redirect{Method: "GET", URL: "https://broker.example/paid"}
		}},
		{"refund started (state columns)", func(q *getpaid.Payment) {
			q.Status, q.Refunded, q.RefundAsked, q.Advance, q.ActiveOp = getpaid.StatusRefundStarted, 3000, 4000, 11, ""
			q.Description, q.ReturnURL, q.ClientIP = "Zamówienie ąę 3", "https://shop.example/orders/3", "198.51.100.3"
			q.Buyer = getpaid.Buyer{Email: "jan@example.org"}
			q.Redirect = nil
		}},
		{"currency changed alone (an indexed column)", func(q *getpaid.Payment) {
			q.Amount, q.Refunded, q.RefundAsked = getpaid.Money{Minor: 90000, Currency: "EUR"}, 0, 0
		}},
		{"order and backend changed (indexed columns)", func(q *getpaid.Payment) {
			q.OrderID, q.Backend, q.Status = "o-h-every-moved", "payu", getpaid.StatusRefunded
		}},
	} {
		res := mustUpdate(t, a, p.ID, getpaid.Mutation{Cause: step.name, Apply: func(q *getpaid.Payment) (bool, error) {
			step.apply(q)
			return true, nil
		}})
		b := db.Open(t)
		if diff := cmp.Diff(res.Payment, mustGet(t, b, p.ID), cmpOpts); diff != "" {
			t.Errorf("%s: the payment as changed, and as another handle reads it (-changed +read):\n%s", step.name, diff)
		}
		if diff := cmp.Diff(res.Payment, mustGet(t, a, p.ID), cmpOpts); diff != "" {
			t.Errorf("%s: the payment as changed, and as its handle reads it (-changed +read):\n%s", step.name, diff)
		}
	}
	// Listings by each indexed column follow the changes, on both handles
	// (the payment is the only one in its database: each filter alone is
	// answered along that column's index).
	for _, s := range []getpaid.Store{a, db.Open(t)} {
		for _, c := range []struct {
			f    getpaid.PaymentFilter
			want int
		}{
			{getpaid.PaymentFilter{OrderID: "o-h-every-moved"}, 1},
			{getpaid.PaymentFilter{OrderID: p.OrderID}, 0},
			{getpaid.PaymentFilter{Currency: "EUR"}, 1},
			{getpaid.PaymentFilter{Currency: "PLN"}, 0},
			{getpaid.PaymentFilter{Backend: "payu"}, 1},
			{getpaid.PaymentFilter{Backend: "dummy"}, 0},
			{getpaid.PaymentFilter{Status: getpaid.StatusRefunded}, 1},
			{getpaid.PaymentFilter{Status: getpaid.StatusRefundStarted}, 0},
		} {
			c.f.Limit = 10
			page, err := s.Payments(ctx(t), c.f)
			if err != nil {
				t.Fatalf("Payments(%s): %v", describe(c.f), err)
			}
			if len(page.Payments) != c.want {
				t.Errorf("Payments(%s): %d payments, want %d", describe(c.f), len(page.Payments), c.want)
			}
		}
	}
	// And so does the broker id's lookup.
	if got, err := a.PaymentByExternalID(ctx(t), "payu", "H-EVERY-2"); err != nil || got.ID != p.ID {
		t.Errorf("PaymentByExternalID(payu, H-EVERY-2) = %v, %v; want %s", got, err, p.ID)
	}
}

// testHandlesEveryOperationFieldStored changes every field of a money
// operation an update may change, twice, and after each change reads it on
// a handle opened afterwards.
func testHandlesEveryOperationFieldStored(t *testing.T, db DB) {
	a := db.Open(t)
	p := paidPayment(t, a, "o-h-every-op")
	op := refundOp(p, 4000, "k-every")
	mustUpdate(t, a, p.ID, askRefund(op))
	next := soon()
	for _, step := range []struct {
		name   string
		update func(o *getpaid.Operation)
	}{
		{"in doubt", func(o *getpaid.Operation) {
			o.State, o.Amount, o.BrokerRef, o.Error, o.Attempts = getpaid.OpUnknown, p.Money(3999), "R-1", "timeout", 3
			o.NextCheckAt, o.Flagged, o.ResolvedBy, o.Note, o.LastCheck = next, true, "alice", "zwrot ąę", "lookup: not found"
		}},
		{"pending", func(o *getpaid.Operation) {
			o.State, o.Amount, o.BrokerRef, o.Error, o.Attempts = getpaid.OpPending, p.Money(3998), "R-2", "HTTP 503", 4
			o.NextCheckAt, o.Flagged, o.ResolvedBy, o.Note, o.LastCheck = next.Add(time.Minute), false, "bob", "sprawdzone", "lookup: pending"
		}},
	} {
		res := mustUpdate(t, a, p.ID, getpaid.Mutation{Apply: func(*getpaid.Payment) (bool, error) { return false, nil },
			Operation: &getpaid.OperationChange{ID: op.ID, Update: func(o *getpaid.Operation, _ *getpaid.Payment) (bool, error) {
				step.update(o)
				return true, nil
			}}})
		b := db.Open(t)
		got, err := b.Operation(ctx(t), op.ID)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if diff := cmp.Diff(res.Operation, got, cmpOpts); diff != "" {
			t.Errorf("%s: the operation as changed, and as another handle reads it (-changed +read):\n%s", step.name, diff)
		}
	}
}
