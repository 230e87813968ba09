package engine_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// Money held for another amount by one transaction (an advance: Tpay's
// FALSE surcharge), then the same amount held by another transaction: the
// payment already held that advance, so the second changed nothing
// (no_change) and was recorded nowhere, not on the console, not in
// getpaid_second_transactions_total, not in the log, while its money waited
// at the broker (in Tpay's panel, status error) for a decision nobody was
// asked to make. It is now recorded as a second transaction, once, and the
// payment keeps the first one's advance. So too at a broker whose money
// getpaid confirms (Przelewy24, which gives the unverified money back),
// where the notification was answered before anything was recorded.
func TestSameAdvanceOfAnotherTransactionIsASecondOne(t *testing.T) {
	t.Parallel()
	for _, confirms := range []bool{false, true} {
		t.Run(fmt.Sprintf("confirms=%t", confirms), func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			var b getpaid.Broker = fb
			if confirms {
				b = &countingConfirmer{fakeBroker: fb}
			}
			var rec seconds
			e := newEngineConfig(t, b, engine.Config{Store: memory.New(), Hooks: engine.Hooks{SecondTransaction: rec.hook}})
			ctx := context.Background()
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-same-advances", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			advance := func(ext string) getpaid.Outcome {
				t.Helper()
				fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: ext + ":advance", Kind: getpaid.KindAdvance,
					Amount: getpaid.MustParseMoney("6.00", "PLN")}
				res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
				if err != nil {
					t.Fatalf("advance of %s: %v", ext, err)
				}
				return res.Outcome
			}
			for _, s := range []struct {
				ext  string
				want getpaid.Outcome
			}{
				{"TR-1", getpaid.OutcomeApplied},
				// Recorded as a second transaction, and answered as one:
				// getpaid_callbacks_total counted it no_change, beside
				// getpaid_second_transactions_total counting it.
				{"TR-2", getpaid.OutcomeSecondTransaction},
				{"TR-2", getpaid.OutcomeDuplicate},
				{"TR-1", getpaid.OutcomeDuplicate},
			} {
				if confirms && s.ext == "TR-1" && s.want == getpaid.OutcomeDuplicate {
					// A broker that confirms is answered before the write
					// for a fact that changes nothing.
					s.want = getpaid.OutcomeNoChange
				}
				if got := advance(s.ext); got != s.want {
					t.Fatalf("advance of %s: %s, want %s", s.ext, got, s.want)
				}
			}
			if got, want := rec.list(), []string{"fake/" + p.ID + "/TR-2"}; !slices.Equal(got, want) {
				t.Fatalf("the hook heard %v, want %v", got, want)
			}
			got, err := e.SecondTransactions(ctx, p.ID)
			if want := []getpaid.SecondTransaction{{ExternalID: "TR-2"}}; err != nil || !slices.Equal(got, want) {
				t.Fatalf("SecondTransactions = %+v, %v; want %+v: TR-2's money is at the broker, recorded nowhere", got, err, want)
			}
			q, err := e.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if q.ExternalID != "TR-1" || q.Advance != 600 || q.Status != getpaid.StatusChargeStarted {
				t.Fatalf("payment %s holds %d of %s; want charge_started, 600 of TR-1", q.Status, q.Advance, q.ExternalID)
			}
		})
	}
}
