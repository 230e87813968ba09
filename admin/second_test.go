package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
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

// confirming is the dummy broker confirming each notification it pays
// with (as Przelewy24 verifies): a transaction getpaid does not confirm
// is the broker's to give back.
type confirming struct{ *dummy.Broker }

func (confirming) ConfirmCallback(context.Context, *getpaid.ConfirmRequest) error { return nil }

// TestSecondTransactionAtAConfirmingBroker: a second transaction at a
// broker whose money getpaid must confirm (Przelewy24's verify) is never
// confirmed, and the broker gives it back to the buyer itself. The page
// asked the operator to refund it in the broker's panel all the same,
// where there is nothing to refund: it now says the broker returns it,
// and to refund it there only if the panel shows it confirmed (two
// notifications confirmed at once, one of them a second transaction).
func TestSecondTransactionAtAConfirmingBroker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memory.New()
	p := storedPaid(t, store, "o-twice", "dummy", "TR-1")
	for _, k := range []string{"dummy/second-transaction:TR-2", "dummy/second-transaction:TR-3", "dummy/second-transaction-refunded:TR-3"} {
		if _, err := store.UpdatePayment(ctx, p.ID, getpaid.Mutation{EventKey: k,
			Apply: func(*getpaid.Payment) (bool, error) { return false, nil }}); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnvWith(t, store, false, func(d *dummy.Broker) getpaid.Broker { return confirming{d} })
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	for _, want := range []string{
		"<code>TR-2</code>: getpaid did not confirm it, so dummy gives its money back to the buyer itself: nothing to do, unless its panel shows it confirmed (then refund it there)",
		"<code>TR-3</code>: the broker has since reported money going back from it",
	} {
		if !strings.Contains(b.last, want) {
			t.Errorf("the payment's page does not say %q:\n%s", want, b.last)
		}
	}
	if strings.Contains(b.last, "refund it in the broker's panel") {
		t.Errorf("the page asks for a refund in the panel of money the broker gives back itself:\n%s", b.last)
	}
}

// TestSecondTransactionOfAnAdvance: a second transaction recorded while
// the payment held only money for another amount (an advance: another
// transaction holding the amount its advance holds) was said to have come
// "after it was paid", of a payment the page shows charge_started with
// nothing captured. The page names the transaction the payment records
// instead, true of a paid payment and of one holding an advance.
func TestSecondTransactionOfAnAdvance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memory.New()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-advance", Backend: "dummy", Status: getpaid.StatusNew,
		ExternalID: "TR-1", Amount: getpaid.MustParseMoney("10.00", "PLN"), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if _, err := store.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []getpaid.Mutation{
		{Cause: "advance", Apply: func(q *getpaid.Payment) (bool, error) {
			q.Status, q.Advance = getpaid.StatusChargeStarted, 600
			return true, nil
		}},
		// As the engine records a second transaction (a key, nothing changed).
		{EventKey: "dummy/second-transaction:TR-2", Apply: func(*getpaid.Payment) (bool, error) { return false, nil }},
	} {
		if _, err := store.UpdatePayment(ctx, p.ID, m); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, store, false)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	if !strings.Contains(b.last, "<code>TR-2</code>") {
		t.Fatalf("the page does not name the second transaction:\n%s", b.last)
	}
	if strings.Contains(b.last, "after it was paid") {
		t.Errorf("the page says a payment holding an advance, not paid, was paid:\n%s", b.last)
	}
	if want := "another transaction for this payment besides <code>TR-1</code>"; !strings.Contains(b.last, want) {
		t.Errorf("the page does not say %q:\n%s", want, b.last)
	}
}
