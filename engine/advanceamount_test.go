package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An advance is accepted or rejected whole: an amount given to either is
// refused for the amount, a *getpaid.FieldError naming it (ErrInvalidAmount
// and ErrInvalidRequest, as a release's), and nothing is decided. It was
// dropped: AcceptAdvance "of 1.00" accepted the whole 4.00, RejectAdvance
// failed the payment.
func TestAdvanceDecisionTakesNoAmount(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { return &advancing{d} })
	ctx := context.Background()
	p := e.advanced()
	for _, tc := range []struct {
		name string
		act  func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error)
	}{{"accept", e.eng.AcceptAdvance}, {"reject", e.eng.RejectAdvance}} {
		_, err := tc.act(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("1.00")})
		var fe *getpaid.FieldError
		if !errors.As(err, &fe) || fe.Field != "amount" || !errors.Is(err, getpaid.ErrInvalidAmount) || !errors.Is(err, getpaid.ErrInvalidRequest) {
			t.Errorf("%s of an advance with an amount: %v; want the amount refused", tc.name, err)
		}
	}
	if q, err := e.eng.Payment(ctx, p.ID); err != nil || q.Advance != 400 || q.Captured != 0 || q.Status != getpaid.StatusChargeStarted {
		t.Fatalf("after refused decisions: %+v, %v; want the advance of 4.00 undecided", q, err)
	}
}
