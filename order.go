package getpaid

import "context"

// Order is how getpaid sees a merchant's order: what to charge, for what, to whom,
// and where to send the buyer back.
type Order struct {
	// ID is the order's id as its payments carry it (Payment.OrderID,
	// events, listings, the one-live-payment policy). It is required:
	// PayOrder pays the order under this ID, not under the id it asked the
	// source for, so a source returns the id it was given (or that order's
	// canonical id), never another order's.
	ID          string
	Amount      Money
	Description string
	Buyer       Buyer
	ReturnURL   string // the order's page; buyers land here after paying
}

// OrderSource reads the merchant's orders (library mode). It returns an error
// wrapping ErrNotFound for an unknown order (a nil order with a nil error is
// taken for one too). On the payment-method form, ctx is the request's: a
// session middleware wrapped around the handler can put the signed-in buyer
// there, and an order of someone else answered as ErrNotFound is neither
// shown nor paid by them (see httpapi's ExampleConfig_orderOwner).
type OrderSource interface {
	Order(ctx context.Context, id string) (*Order, error)
}

// OrderChecker is an optional OrderSource capability: "may this order be paid
// now?". A non-nil error refuses the payment, and its text is shown to the
// buyer as the reason: return reasons written for them ("this order is
// already paid"). An error wrapping ErrUnavailable (or a context's error)
// says it could not be decided now (the shop's database away): the payment
// is not refused but put off, the buyer is asked to try again in a moment
// (503), and the error goes to the log, never onto the page. Wrap the
// failures of your own reads so: fmt.Errorf("%w: %w",
// getpaid.ErrUnavailable, err). One wrapping ErrNotFound (an order this
// buyer may not see) is "no such order" (404), as from Order, with
// nothing of the order shown.
type OrderChecker interface {
	CheckPayable(ctx context.Context, o *Order) error
}

// OrderSourceFunc adapts a function to OrderSource.
type OrderSourceFunc func(ctx context.Context, id string) (*Order, error)

// Order calls f.
func (f OrderSourceFunc) Order(ctx context.Context, id string) (*Order, error) { return f(ctx, id) }
