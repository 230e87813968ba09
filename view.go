package getpaid

import "context"

// PaymentViewer is an optional Store capability: a payment with its history
// and its money operations, read at once. A store over a network (each call
// a round trip and a pooled connection) implements it to answer in one round
// trip, a store with a cache to answer in one look; the engine's ViewPayment
// uses it when the store has it and makes the three separate reads (Payment,
// History, Operations) otherwise.
//
// ViewPayment answers ErrNotFound when there is no such payment. It may
// answer ErrNotSupported to say that the capability is not available after
// all (a wrapper around a store without it): the caller then makes the
// separate reads, as database/sql falls back on driver.ErrSkip. A view
// should be read from one snapshot, so that the payment, its history and its
// operations agree.
type PaymentViewer interface {
	ViewPayment(ctx context.Context, req ViewRequest) (*PaymentView, error)
}

// ViewRequest names the payment a PaymentViewer reads.
type ViewRequest struct {
	PaymentID string
}

// PaymentView is a payment with its history and its money operations.
type PaymentView struct {
	Payment *Payment
	// History is the payment's status transitions, oldest first (as
	// Store.History lists them); empty for a payment that never moved.
	History []Transition
	// Operations is every money operation of the payment, newest first (as
	// Store.Operations lists them, all pages).
	Operations []*Operation
}
