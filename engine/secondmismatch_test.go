package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A fact of another transaction that does not fit the payment (a
// transaction of another amount, another currency, more than the payment)
// is refused as an amount mismatch whatever the payment's status: once the
// payment was paid it was answered second_transaction instead, an error
// logged advising a refund at the broker of money that was never this
// payment's, and its event recorded as applied.
func TestMismatchOfAnotherTransactionRefusedOncePaid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(o *getpaid.Observation)
		kinds []getpaid.Kind
	}{
		{"a transaction of another amount", func(o *getpaid.Observation) { o.PaymentAmount = getpaid.MustParseMoney("20.00", "PLN") },
			[]getpaid.Kind{getpaid.KindCaptured, getpaid.KindAdvance}},
		{"another currency", func(o *getpaid.Observation) { o.Amount.Currency, o.Full = "EUR", false },
			[]getpaid.Kind{getpaid.KindCaptured, getpaid.KindAdvance}},
		// An advance may be more (an overpayment), a capture not.
		{"more than the payment", func(o *getpaid.Observation) { o.Amount.Minor, o.Full = 2000, false },
			[]getpaid.Kind{getpaid.KindCaptured}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			e, _ := loggedFakeEngine(t, fb)
			ctx := context.Background()
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-mismatch", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "paid", Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true}
			if res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil || res.Outcome != getpaid.OutcomeApplied {
				t.Fatalf("paying: %+v, %v", res, err)
			}
			for _, kind := range tt.kinds {
				o := &getpaid.Observation{PaymentID: p.ID, ExternalID: "TR-OTHER", EventID: "other:" + string(kind), Kind: kind, Amount: p.Amount, Full: kind == getpaid.KindCaptured}
				tt.edit(o)
				fb.obs = o
				res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
				if !errors.Is(err, getpaid.ErrAmountMismatch) {
					t.Errorf("%s of another transaction: %+v, %v; want %v", kind, res.Outcome, err, getpaid.ErrAmountMismatch)
				}
			}
		})
	}
}
