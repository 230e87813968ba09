package transferuj_test

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A transaction overpaid and accepted (TRUE, tr_paid above tr_amount) is
// paid for the payment's amount; refunded in Tpay's panel, everything the
// buyer paid goes back, and its CHARGEBACK reports that in tr_paid. The
// payment is then refunded in full: it was refused as an amount mismatch
// (more than captured), Tpay sent it again until it gave up, and the
// payment stayed paid with the money gone.
func TestChargebackOfAcceptedOverpayment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		back string // tr_paid of the CHARGEBACK
	}{
		{"everything paid returned", "12.00"},
		{"the payment's amount returned", "10.00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := md5Flow(t)
			p := f.pay(t, "overpaid", getpaid.MustParseMoney("10.00", "PLN"))
			if res := f.notify(t, p, "TR-OVR-1", "TRUE", "12.00", "overpay"); res.Outcome != getpaid.OutcomeApplied {
				t.Fatalf("accepted overpayment: %+v", res)
			}
			for i := range 2 { // Tpay sends it again: counted once
				if res := f.notify(t, p, "TR-OVR-1", "CHARGEBACK", tt.back, "none"); (i == 0) != (res.Outcome == getpaid.OutcomeApplied) {
					t.Fatalf("chargeback %d of %s: %+v", i, tt.back, res)
				}
			}
			got, err := f.store.Payment(ctx, p.ID)
			if err != nil || got.Status != getpaid.StatusRefunded || got.Refunded != 1000 || got.Captured != 1000 {
				t.Fatalf("after the chargeback: %+v, %v; want refunded 10.00 of 10.00", got, err)
			}
		})
	}
}
