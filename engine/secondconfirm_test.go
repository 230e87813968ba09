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
		before getpaid.Kind // what the payment's own transaction reports after paying it, if anything
		status getpaid.Status
	}{
		{"paid", "", getpaid.StatusPaid},
		{"refunded", getpaid.KindRefunded, getpaid.StatusRefunded},
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
			send := func(ext, event string, kind getpaid.Kind) getpaid.Outcome {
				t.Helper()
				fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: event, Kind: kind, Amount: p.Amount, Full: true}
				res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
				if err != nil {
					t.Fatalf("%s of %s: %v", kind, ext, err)
				}
				return res.Outcome
			}
			if got := send("TR-1", "trn:1", getpaid.KindCaptured); got != getpaid.OutcomeApplied {
				t.Fatalf("paying: %s", got)
			}
			if tt.before != "" {
				send("TR-1", "refund:1", tt.before)
			}
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
			if q, _ := e.Payment(ctx, p.ID); q.Status != tt.status || q.Captured != 1500 || q.ExternalID != "TR-1" {
				t.Fatalf("after the second transaction: %s captured %d, broker id %s", q.Status, q.Captured, q.ExternalID)
			}
		})
	}
}
