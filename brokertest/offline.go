package brokertest

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// brokerDownOffline is the broker-down case of a broker whose Prepare calls
// no API: the payment starts anyway (nothing was asked of the broker), and a
// status poll fails retryably and changes nothing.
func brokerDownOffline(t *testing.T, h *Harness, e *env, mode string) {
	t.Helper()
	h.Sim.SetFailure(mode)
	p := e.pay(t, "down")
	if _, ok := h.Broker.(getpaid.StatusFetcher); !ok {
		return
	}
	if _, err := e.eng.Poll(context.Background(), p.ID); err == nil || !isRetryable(err) {
		t.Fatalf("Poll with broker %s: err = %v, want retryable", mode, err)
	}
	e.unchanged(t, p, 1)
}

// runRefundNotification checks refunds made at the broker (outside getpaid)
// and reported by notification: a partial refund moves a paid payment to
// partially_refunded by its amount, a repeat of it changes nothing, the rest
// makes it refunded, and the first repeated after that is still a
// duplicate.
func runRefundNotification(t *testing.T, newHarness func(t *testing.T) *Harness, newEnv func(t *testing.T, h *Harness) *env) {
	t.Run("refund notification", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if h.RefundNotification == nil {
			t.Skip("broker reports no refunds made outside getpaid")
		}
		e := newEnv(t, h)
		p := paid(t, h, e, "refund")
		part := getpaid.Money{Minor: max(1, h.Amount.Minor/3), Currency: h.Amount.Currency}
		first, err := h.RefundNotification(p, part)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := e.callback(first); err != nil || res.Outcome != getpaid.OutcomeApplied {
			t.Fatalf("partial refund: %v, %v", res, err)
		}
		got, _ := e.store.Payment(context.Background(), p.ID)
		if got.Status != getpaid.StatusPartiallyRefunded || got.Refunded != part.Minor {
			t.Fatalf("after a refund of %s: %s, refunded %d", part, got.Status, got.Refunded)
		}
		replay := func(what string, req *getpaid.CallbackRequest) {
			t.Helper()
			res, err := e.callback(req)
			if err != nil || res.Outcome == getpaid.OutcomeApplied {
				t.Fatalf("%s: outcome %v, err %v; want a duplicate", what, res, err)
			}
		}
		replay("repeated refund", first)
		rest := getpaid.Money{Minor: h.Amount.Minor - part.Minor, Currency: h.Amount.Currency}
		second, err := h.RefundNotification(p, rest)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := e.callback(second); err != nil || res.Outcome != getpaid.OutcomeApplied {
			t.Fatalf("refund of the rest: %v, %v", res, err)
		}
		replay("first refund repeated after the whole amount went back", first)
		replay("second refund repeated", second)
		got, _ = e.store.Payment(context.Background(), p.ID)
		if got.Status != getpaid.StatusRefunded || got.Refunded != h.Amount.Minor {
			t.Fatalf("after refunding everything: %s, refunded %d", got.Status, got.Refunded)
		}
		hist := e.history(t, p.ID)
		if countTo(hist, getpaid.StatusPartiallyRefunded) != 1 || countTo(hist, getpaid.StatusRefunded) != 1 {
			t.Fatalf("history %+v", hist)
		}
	})
}
