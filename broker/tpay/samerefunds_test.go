package tpay_test

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// A CHARGEBACK names the transaction and the amount, not the refund: a
// second refund of one amount read as a repeat of the first and was never
// recorded. With the refund list (getpaid.RefundCounter) each refund Tpay
// made counts once, whether made in the panel or through getpaid, and
// however often its notification comes.
func TestRefundsOfOneAmount(t *testing.T) {
	t.Parallel()
	ten := getpaid.MustParseMoney("10.00", "PLN")
	for _, tt := range []struct {
		name string
		ours int // refunds of 10.00 through getpaid first, then panel ones
	}{
		{"two in the panel", 0},
		{"one through getpaid, one in the panel", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim, f, p := paid50(t)
			for i := 0; i < tt.ours; i++ {
				if _, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &ten}); err != nil {
					t.Fatal(err)
				}
				quiet(t, sim)
			}
			for i := tt.ours; i < 2; i++ {
				if err := sim.Chargeback(p.ID, ten); err != nil {
					t.Fatal(err)
				}
				quiet(t, sim)
			}
			// Tpay sends a CHARGEBACK again (the acknowledgement lost).
			again, err := sim.Notification(p.ID, tpaynotify.StatusChargeback, ten)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				res, err := f.eng.HandleCallback(ctx, "tpay", again)
				if err != nil || res.Outcome != getpaid.OutcomeDuplicate {
					t.Fatalf("a CHARGEBACK of 10.00 again: %+v %v; want a duplicate", res, err)
				}
			}
			q, err := f.store.Payment(ctx, p.ID)
			if err != nil || q.Refunded != 2000 || q.Status != getpaid.StatusPartiallyRefunded {
				t.Fatalf("payment: %+v %v; want 20.00 refunded (two refunds of 10.00 at Tpay)", q, err)
			}
		})
	}
}

// A refund of getpaid's still pending at Tpay (no CHARGEBACK yet) is not
// the refund a CHARGEBACK of its amount reports: the CHARGEBACK of a second
// refund of that amount, done, must not use up the pending one's
// reservation, nor count the money twice.
func TestChargebackBesidePendingRefundOfOneAmount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ten := getpaid.MustParseMoney("10.00", "PLN")
	sim, f, p := paid50(t)
	sim.SetRefundStatus("pending")
	if _, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &ten}); err != nil {
		t.Fatal(err)
	}
	sim.SetRefundStatus("")
	if _, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &ten}); err != nil {
		t.Fatal(err)
	}
	quiet(t, sim)
	q, err := f.store.Payment(ctx, p.ID)
	if err != nil || q.Refunded != 1000 || q.RefundAsked != 1000 {
		t.Fatalf("payment: refunded %d, asked %d (%v); want 10.00 refunded and 10.00 still asked", q.Refunded, q.RefundAsked, err)
	}
}

// A CHARGEBACK that arrives while Tpay's refund list cannot be read is
// refused, changing nothing (Tpay sends it again): which refund it is cannot
// be told. Delivered again once the list reads, it counts once, and its
// replays are repeats.
func TestChargebackWhileRefundsUnreadable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ten := getpaid.MustParseMoney("10.00", "PLN")
	sim, f, p := paid50(t)
	note, err := sim.Notification(p.ID, tpaynotify.StatusChargeback, ten)
	if err != nil {
		t.Fatal(err)
	}
	sim.SetFailure("5xx")
	if res, err := f.eng.HandleCallback(ctx, "tpay", note); err == nil {
		t.Fatalf("a CHARGEBACK with Tpay's API down: %+v; want it refused", res)
	}
	if q, _ := f.store.Payment(ctx, p.ID); q.Refunded != 0 || q.Status != getpaid.StatusPaid {
		t.Fatalf("after the refusal: %s refunded %d; want nothing changed", q.Status, q.Refunded)
	}
	sim.SetFailure("")
	for i, want := range []getpaid.Outcome{getpaid.OutcomeApplied, getpaid.OutcomeDuplicate, getpaid.OutcomeDuplicate} {
		if res, err := f.eng.HandleCallback(ctx, "tpay", note); err != nil || res.Outcome != want {
			t.Fatalf("delivery %d: %+v %v; want %s", i+2, res, err, want)
		}
	}
	if q, _ := f.store.Payment(ctx, p.ID); q.Refunded != 1000 {
		t.Fatalf("refunded %d; want 10.00, once", q.Refunded)
	}
}

// paid50 is a payment of 50.00 PLN Tpay reports paid, its notifications
// settled.
func paid50(t *testing.T) (*tpaytest.Server, *flow, *getpaid.Payment) {
	t.Helper()
	sim, _ := recordedSim(t, tpaytest.Config{})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, getpaid.NewID("o"), getpaid.MustParseMoney("50.00", "PLN"))
	if err := sim.Pay(context.Background(), p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	quiet(t, sim)
	return sim, f, p
}
