package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

// ViewPayment loads a payment with its history (oldest first) and every one
// of its money operations (newest first). A store that implements
// getpaid.PaymentViewer answers in one call (one round trip on PostgreSQL,
// one look in SQLite's cache);
// otherwise, or when it answers getpaid.ErrNotSupported, the engine reads
// the payment, its history and its operations separately. History and
// Operations are never nil. When the payment
// was read but a later read failed, the view returned with the error holds
// the payment.
func (e *Engine) ViewPayment(ctx context.Context, id string) (*getpaid.PaymentView, error) {
	if pv, ok := e.store.(getpaid.PaymentViewer); ok {
		v, err := pv.ViewPayment(ctx, getpaid.ViewRequest{PaymentID: id})
		switch {
		case err == nil:
			if v.History == nil {
				v.History = []getpaid.Transition{}
			}
			if v.Operations == nil {
				v.Operations = []*getpaid.Operation{}
			}
			return v, nil
		case !errors.Is(err, getpaid.ErrNotSupported):
			return nil, fmt.Errorf("engine: payment %q: %w", id, err)
		}
	}
	return e.viewPayment(ctx, id)
}

// viewPayment reads a view with the store's separate reads.
func (e *Engine) viewPayment(ctx context.Context, id string) (*getpaid.PaymentView, error) {
	p, err := e.Payment(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &getpaid.PaymentView{Payment: p, Operations: []*getpaid.Operation{}}
	if v.History, err = e.History(ctx, id); err != nil {
		return &getpaid.PaymentView{Payment: p}, err
	}
	if v.History == nil {
		v.History = []getpaid.Transition{}
	}
	f := getpaid.OperationFilter{PaymentID: id, Limit: getpaid.MaxPageSize}
	for {
		page, err := e.Operations(ctx, f)
		if err != nil {
			return &getpaid.PaymentView{Payment: p}, err
		}
		v.Operations = append(v.Operations, page.Operations...)
		if page.NextCursor == "" {
			return v, nil
		}
		f.Cursor = page.NextCursor
	}
}
