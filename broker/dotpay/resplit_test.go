package dotpay_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/broker/dotpay/dotpaytest"
)

// Dotpay's signature hashes operation_related_number, control, description
// and email run together: a genuine URLC of payment A whose email (the
// buyer's to choose) begins with payment B's id, re-split so that control
// is B's id, names B with a signature still valid. It must move no money.
func TestResplitURLCNamesNoOtherPayment(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	amount := getpaid.MustParseMoney("50.00", "PLN")
	a, b := f.pay(t, amount), f.pay(t, amount)
	genuine := with(payURLC(), "id", f.sim.Config().ShopID, "operation_amount", "50.00",
		"operation_withdrawal_amount", "49.00", "operation_commission_amount", "1.00",
		"operation_original_amount", "50.00", "control", a.ID, "description", "Zamówienie",
		"email", b.ID+"x@example.com")
	resplit := with(genuine, "operation_related_number", a.ID+"Zamówienie", "control", b.ID,
		"description", "", "email", "x@example.com")
	if dotpay.Signature(f.sim.Config().PIN, genuine) != dotpay.Signature(f.sim.Config().PIN, resplit) {
		t.Fatal("the re-split URLC is not signed alike")
	}
	res, err := f.eng.HandleCallback(context.Background(), "dotpay", urlcRequest(signed(f.sim.Config().PIN, resplit)))
	if !errors.Is(err, getpaid.ErrMalformedCallback) {
		t.Errorf("re-split URLC: %+v, %v; want it refused as malformed", res, err)
	}
	got, err := f.eng.Payment(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != b.Status || got.Captured != 0 {
		t.Fatalf("payment B, never paid, taken as paid by A's URLC: %s, captured %d", got.Status, got.Captured)
	}
	// A's own URLC still pays A.
	res, err = f.eng.HandleCallback(context.Background(), "dotpay", urlcRequest(signed(f.sim.Config().PIN, genuine)))
	if err != nil || res.Payment == nil || res.Payment.ID != a.ID || res.Payment.Status != getpaid.StatusPaid {
		t.Fatalf("A's URLC: %+v %v", res, err)
	}
}
