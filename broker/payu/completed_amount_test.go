package payu_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// TestCompletedOfAnotherAmountWithoutHold: a PayU order keeps the
// totalAmount it was created with; only a partial capture of a hold
// (WAITING_FOR_CONFIRMATION) completes it for less. A COMPLETED notification
// (or poll) of another amount for a payment that holds nothing and has
// captured nothing is not this payment's order: it is refused like any other
// amount mismatch, and it must not be taken as a partial payment, whose
// event id ("<orderId>:COMPLETED") would then make the right COMPLETED a
// duplicate, leaving the payment partially paid for ever.
func TestCompletedOfAnotherAmountWithoutHold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, amount string
		refused      bool // answered ErrAmountMismatch (a COMPLETED of nothing changes nothing either way)
	}{{"lower", "500", true}, {"zero", "0", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := specEngine(t, &specPayU{t: t, created: http.StatusFound, status: "PENDING"})
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-1", Backend: "payu_pln", Amount: getpaid.MustParseMoney("10.00", "PLN"),
				Buyer: getpaid.Buyer{Email: "a@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.HandleCallback(ctx, "payu_pln", specNotify(specOrderNotification(p.ID, tc.amount, "COMPLETED")))
			if tc.refused && !errors.Is(err, getpaid.ErrAmountMismatch) || !tc.refused && err != nil && !errors.Is(err, getpaid.ErrAmountMismatch) {
				t.Fatalf("COMPLETED of %s on a payment of 1000 without a hold: %v, want ErrAmountMismatch", tc.amount, err)
			}
			if got, _ := e.Payment(ctx, p.ID); got.Status != getpaid.StatusPrepared || got.Captured != 0 {
				t.Fatalf("after the mismatched COMPLETED: %s captured %d", got.Status, got.Captured)
			}
			if _, err := e.HandleCallback(ctx, "payu_pln", specNotify(specOrderNotification(p.ID, "1000", "COMPLETED"))); err != nil {
				t.Fatal(err)
			}
			if got, _ := e.Payment(ctx, p.ID); got.Status != getpaid.StatusPaid || got.Captured != 1000 {
				t.Fatalf("after the right COMPLETED: %s captured %d", got.Status, got.Captured)
			}
		})
	}
}
