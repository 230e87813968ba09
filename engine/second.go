package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/getpaid-go/getpaid"
)

var _ getpaid.SecondTransactionLister = (*Engine)(nil)

// The keys recording a payment's second transactions: one when the broker
// reports it (secondKey, written by markSecond), one when it reports money
// going back from it (secondRefundedKey), or going back in a refund the
// payment refused, counted nowhere (refusedMark, see markOtherRefunded),
// and one when getpaid confirmed it with the broker (confirmedMark: two
// notifications confirmed at once).
// A backend's name has no "/": no broker event's key (eventKey) is one of
// these.
const (
	secondMark   = "/second-transaction:"
	refundedMark = "/second-transaction-refunded:"
	refusedMark  = "/second-transaction-refund-refused:"
	// confirmedMark: a second transaction getpaid confirmed with a broker
	// whose money it confirms (Przelewy24's verify), which keeps it.
	confirmedMark = "/second-transaction-confirmed:"
)

// secondKey is the key under which a payment records that broker
// transaction ext was reported as a second transaction of it.
func secondKey(b getpaid.Backend, ext string) string { return b.Name + secondMark + ext }

// secondRefundedKey is the key under which a payment records that the
// broker reported money going back from its second transaction ext.
func secondRefundedKey(b getpaid.Backend, ext string) string { return b.Name + refundedMark + ext }

// markSecondRefunded records that the broker reported money going back
// from payment id's second transaction ext, for the console to say so
// instead of asking the operator to refund it.
func (e *Engine) markSecondRefunded(ctx context.Context, b getpaid.Backend, id, ext string) error {
	if _, err := e.mark(ctx, id, secondRefundedKey(b, ext)); err != nil {
		return fmt.Errorf("record the refund of broker transaction %s, a second one: %w", ext, err)
	}
	return nil
}

// countedSaidMark records that logSecondRefundCounted said so of a
// transaction: markSecond and the refund's write may both find the other's
// record (two notifications at once), and one ERROR is enough. Not under
// "/second-transaction" (SecondTransactions lists those).
const countedSaidMark = "/second-refund-counted-said:"

// logSecondRefundCounted says, once for a transaction, that a refund of
// broker transaction ext, counted as payment p's, was of a transaction
// reported as a second one of it: p's refunded total holds money that was
// not p's. When whether it was said cannot be read, it is said again.
func (e *Engine) logSecondRefundCounted(ctx context.Context, b getpaid.Backend, p *getpaid.Payment, ext string) {
	if first, err := e.mark(context.WithoutCancel(ctx), p.ID, b.Name+countedSaidMark+ext); err == nil && !first {
		return
	}
	e.log.ErrorContext(ctx, "a refund counted as the payment's was of a transaction since reported as a second transaction (delivered before its capture): the payment's own money did not go back with it; check both transactions at the broker",
		"payment", p.ID, "backend", b.Name, "transaction", p.ExternalID, "second_transaction", ext, "refunded", p.Refunded)
}

// mark records key on payment id, changing nothing else (the records of
// second transactions and their refunds: kept with the payment's applied
// event keys, listed by SecondTransactions), and reports whether it is new:
// false when it was recorded before.
func (e *Engine) mark(ctx context.Context, id, key string) (bool, error) {
	_, err := e.store.UpdatePayment(ctx, id, getpaid.Mutation{EventKey: key,
		Apply: func(*getpaid.Payment) (bool, error) { return false, nil }})
	if errors.Is(err, getpaid.ErrDuplicateEvent) {
		return false, nil
	}
	return err == nil, err
}

// anotherPayments reports whether the broker id obs names belongs to
// another payment than id (samePayment refuses the fact): such a
// transaction is never one of payment id's, second or refunded, and the
// write refuses the fact naming both.
func (e *Engine) anotherPayments(ctx context.Context, b getpaid.Backend, id string, obs *getpaid.Observation) (bool, error) {
	switch err := e.samePayment(ctx, b, id, obs); {
	case errors.Is(err, getpaid.ErrPaymentMismatch):
		return true, nil
	case err != nil:
		return false, err
	}
	return false, nil
}

// SecondTransactions lists the transactions recorded as second
// transactions of payment id (a buyer who paid twice: see markSecond), by
// the broker's id in byte order, each with whether the broker has since
// reported money going back from it, as the console shows them on the
// payment's page. The record outlives the process, unlike the callbacks
// the console remembers. It needs a store implementing
// getpaid.AppliedKeyLister; others answer getpaid.ErrNotSupported.
func (e *Engine) SecondTransactions(ctx context.Context, id string) ([]getpaid.SecondTransaction, error) {
	l, ok := e.store.(getpaid.AppliedKeyLister)
	if !ok {
		return nil, fmt.Errorf("engine: second transactions: %w", getpaid.ErrNotSupported)
	}
	p, err := e.store.Payment(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: second transactions of %q: %w", id, err)
	}
	b := getpaid.Backend{Name: p.Backend}
	keys, err := l.AppliedKeys(ctx, id, b.Name+"/second-transaction")
	if errors.Is(err, getpaid.ErrNotSupported) {
		return nil, fmt.Errorf("engine: second transactions: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("engine: second transactions of %q: %w", id, err)
	}
	refunded, confirmed := map[string]bool{}, map[string]bool{}
	for _, k := range keys {
		if ext, ok := strings.CutPrefix(k, secondRefundedKey(b, "")); ok {
			refunded[ext] = true
		} else if ext, ok := strings.CutPrefix(k, b.Name+refusedMark); ok {
			refunded[ext] = true
		} else if ext, ok := strings.CutPrefix(k, b.Name+confirmedMark); ok {
			confirmed[ext] = true
		}
	}
	// The keys come in byte order, so the second transactions (behind one
	// prefix) are in the order of their ids.
	var out []getpaid.SecondTransaction
	for _, k := range keys {
		// The payment's own transaction is none, whatever was recorded (a
		// transaction whose advance a capture was to clear, which was not
		// written: an operator accepted that advance since).
		if ext, ok := strings.CutPrefix(k, secondKey(b, "")); ok && ext != p.ExternalID {
			out = append(out, getpaid.SecondTransaction{ExternalID: ext, Refunded: refunded[ext], Confirmed: confirmed[ext]})
		}
	}
	return out, nil
}
