package engine_test

import (
	"context"
	"slices"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A buyer who paid twice at a broker whose paid notification is confirmed
// first (another Przelewy24 orderId of the payment's sessionId, paid once
// the payment was) was answered no_change and recorded nowhere: not on the
// console's payment page, not in the second_transaction outcome, not even
// in the log, unlike at the other brokers. It is now reported and recorded
// as a second transaction, still not confirmed (confirming accepts the
// money, which nothing counts), and its repeats are duplicates.
func TestSecondTransactionAtAConfirmingBrokerIsRecorded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		first  int64        // what the payment's own transaction paid
		before getpaid.Kind // what it reports after paying it, if anything
		status getpaid.Status
	}{
		{"paid", 1500, "", getpaid.StatusPaid},
		{"refunded", 1500, getpaid.KindRefunded, getpaid.StatusRefunded},
		// Another orderId's amount is its own, not the payment's so far:
		// verified and counted as "the rest", 15.00 paid after 6.00 made
		// the payment paid where the buyer had paid 21.00.
		{"partially paid", 600, "", getpaid.StatusPartiallyPaid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			cb := &countingConfirmer{fakeBroker: fb}
			e := newEngine(t, cb, memory.New())
			ctx := context.Background()
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-twice", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			amount := p.Amount
			send := func(ext, event string, kind getpaid.Kind) getpaid.Outcome {
				t.Helper()
				fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: event, Kind: kind, Amount: amount, Full: amount == p.Amount}
				res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
				if err != nil {
					t.Fatalf("%s of %s: %v", kind, ext, err)
				}
				return res.Outcome
			}
			amount.Minor = tt.first
			if got := send("TR-1", "trn:1", getpaid.KindCaptured); got != getpaid.OutcomeApplied {
				t.Fatalf("paying: %s", got)
			}
			if tt.before != "" {
				send("TR-1", "refund:1", tt.before)
			}
			amount = p.Amount
			confirmed := cb.n.Load()
			if got := send("TR-2", "trn:2", getpaid.KindCaptured); got != getpaid.OutcomeSecondTransaction {
				t.Fatalf("the second transaction: %s, want %s", got, getpaid.OutcomeSecondTransaction)
			}
			if got := send("TR-2", "trn:2", getpaid.KindCaptured); got != getpaid.OutcomeDuplicate {
				t.Fatalf("the second transaction again: %s, want %s", got, getpaid.OutcomeDuplicate)
			}
			// Another amount paid (Przelewy24 holds it unverified, an
			// advance): a paid payment takes none, and it is a second
			// transaction too.
			if got := send("TR-3", "advance:3", getpaid.KindAdvance); got != getpaid.OutcomeSecondTransaction {
				t.Fatalf("a second transaction of another amount: %s, want %s", got, getpaid.OutcomeSecondTransaction)
			}
			if n := cb.n.Load() - confirmed; n != 0 {
				t.Fatalf("the second transaction was confirmed %d times: its money accepted, counted nowhere", n)
			}
			got, err := e.SecondTransactions(ctx, p.ID)
			if want := []getpaid.SecondTransaction{{ExternalID: "TR-2"}, {ExternalID: "TR-3"}}; err != nil || !slices.Equal(got, want) {
				t.Fatalf("SecondTransactions = %+v, %v; want %+v", got, err, want)
			}
			if q, _ := e.Payment(ctx, p.ID); q.Status != tt.status || q.Captured != tt.first || q.ExternalID != "TR-1" {
				t.Fatalf("after the second transaction: %s captured %d, broker id %s", q.Status, q.Captured, q.ExternalID)
			}
		})
	}
}
