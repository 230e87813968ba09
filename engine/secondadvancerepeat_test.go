package engine_test

import (
	"context"
	"slices"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// Money held for another amount by one transaction (an advance: Transferuj's
// FALSE surcharge), then by another (its advance replacing the first), and
// the first's notification delivered again (Tpay repeats it until answered
// TRUE: a lost answer): the repeat changes nothing (a duplicate), yet the
// second transaction, the one whose advance the payment holds, its own, was
// recorded as a second transaction, counted in
// getpaid_second_transactions_total (GetpaidBuyerPaidTwice firing for money
// the payment holds) and logged at ERROR for a refund at the broker. A
// repeat of an event applied before records nothing.
func TestAdvanceRepeatedAfterAnotherIsNoSecondTransaction(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	var rec seconds
	e := newEngineConfig(t, fb, engine.Config{Store: memory.New(), Hooks: engine.Hooks{SecondTransaction: rec.hook}})
	ctx := context.Background()
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-advances", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	advance := func(ext, amount string) *getpaid.CallbackResult {
		t.Helper()
		fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: ext + ":advance", Kind: getpaid.KindAdvance,
			Amount: getpaid.MustParseMoney(amount, "PLN")}
		res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
		if err != nil {
			t.Fatalf("advance of %s: %v", ext, err)
		}
		return res
	}
	advance("TR-1", "6.00")
	advance("TR-2", "7.00")
	if res := advance("TR-1", "6.00"); res.Outcome != getpaid.OutcomeDuplicate {
		t.Fatalf("TR-1's advance again: %s, want %s", res.Outcome, getpaid.OutcomeDuplicate)
	}
	want := []string{"fake/" + p.ID + "/TR-1"}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Fatalf("the hook heard %v, want %v (TR-2 holds the payment's advance)", got, want)
	}
	q, err := e.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.ExternalID != "TR-2" || q.Advance != 700 {
		t.Fatalf("payment holds %d of %s; want 700 of TR-2", q.Advance, q.ExternalID)
	}
}
