package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// TestPaymentPageNamesASecondTransaction: a buyer who paid twice was shown
// in the log, the metrics and the backends page's recent callbacks (kept in
// memory, gone after a restart), but not on the payment's own page, where
// an operator looks when the buyer asks for the money back. The page names
// the other transactions and what to do with their money.
func TestPaymentPageNamesASecondTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memory.New()
	twice, once := storedPaid(t, store, "o-twice", "dummy", "TR-1"), storedPaid(t, store, "o-once", "dummy", "TR-0")
	// As the engine records a second transaction (a key, nothing changed).
	for _, k := range []string{"dummy/second-transaction:TR-2", "other/second-transaction:TR-9",
		"dummy/second-transaction:TR-3", "dummy/second-transaction-refunded:TR-3"} {
		if _, err := store.UpdatePayment(ctx, twice.ID, getpaid.Mutation{EventKey: k,
			Apply: func(*getpaid.Payment) (bool, error) { return false, nil }}); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, store, false)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+twice.ID, nil)
	for _, want := range []string{`id="second-transactions"`, "The buyer paid twice", "2 other transactions",
		"<code>TR-2</code>: refund it in the broker's panel", "<code>TR-3</code>: the broker has since reported money going back from it"} {
		if !strings.Contains(b.last, want) {
			t.Errorf("the payment's page does not say %q:\n%s", want, b.last)
		}
	}
	if strings.Contains(b.last, "TR-9") {
		t.Errorf("the page names a key of another backend as this payment's second transaction:\n%s", b.last)
	}
	b.do("GET", "/admin/payments/"+once.ID, nil)
	if strings.Contains(b.last, "second-transactions") {
		t.Errorf("a payment paid once is said to be paid twice:\n%s", b.last)
	}
}

// storedPaid writes into store a payment of 10.00 PLN of order on backend,
// paid (captured whole) with broker id ext, as the engine would have left
// it.
func storedPaid(t *testing.T, store getpaid.Store, order, backend, ext string) *getpaid.Payment {
	t.Helper()
	ctx := context.Background()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: order, Backend: backend, Status: getpaid.StatusNew,
		ExternalID: ext, Amount: getpaid.MustParseMoney("10.00", "PLN"), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if _, err := store.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "captured", Apply: func(q *getpaid.Payment) (bool, error) {
		q.Status, q.Captured = getpaid.StatusPaid, q.Amount.Minor
		return true, nil
	}}); err != nil {
		t.Fatal(err)
	}
	return p
}
