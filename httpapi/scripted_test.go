package httpapi_test

import (
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// The README's "Script it": callbacks signed with the dummy's secret are the
// dummy broker speaking, so the money operations that follow them through
// the JSON API work as after the paywall (django-getpaid scenarios 11-13:
// lock 100, capture 30 and 70; 40 then 100 captured, then refunds).
func TestScriptedDummyCallbacksThenMoneyOperations(t *testing.T) {
	t.Parallel()
	type step struct {
		callback       string // a dummy status, sent as a signed callback
		amount         string // the callback's amount, or the action's ("" = all)
		action         string // capture, release, refund, poll
		code           int    // the action's answer
		status         getpaid.Status
		captured, held string
		refunded       string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"hold, capture 30 then 70", []step{
			{callback: "pre_auth", amount: "100.00", status: getpaid.StatusPreAuth, captured: "0.00", held: "100.00", refunded: "0.00"},
			{action: "capture", amount: "30.00", code: 200, status: getpaid.StatusPreAuth, captured: "30.00", held: "70.00", refunded: "0.00"},
			{action: "capture", amount: "70.00", code: 200, status: getpaid.StatusPaid, captured: "100.00", held: "0.00", refunded: "0.00"},
			{action: "refund", amount: "40.00", code: 200, status: getpaid.StatusPartiallyRefunded, captured: "100.00", held: "0.00", refunded: "40.00"},
			{action: "refund", code: 200, status: getpaid.StatusRefunded, captured: "100.00", held: "0.00", refunded: "100.00"},
		}},
		{"hold, capture 30, release the rest", []step{
			{callback: "pre_auth", amount: "100.00", status: getpaid.StatusPreAuth, captured: "0.00", held: "100.00", refunded: "0.00"},
			{action: "capture", amount: "30.00", code: 200, status: getpaid.StatusPreAuth, captured: "30.00", held: "70.00", refunded: "0.00"},
			{action: "release", code: 200, status: getpaid.StatusPartiallyPaid, captured: "30.00", held: "0.00", refunded: "0.00"},
		}},
		{"hold released whole", []step{
			{callback: "pre_auth", amount: "100.00", status: getpaid.StatusPreAuth, captured: "0.00", held: "100.00", refunded: "0.00"},
			{action: "release", code: 200, status: getpaid.StatusCancelled, captured: "0.00", held: "0.00", refunded: "0.00"},
		}},
		{"40 then 100 captured, refunded whole", []step{
			{callback: "partially_paid", amount: "40.00", status: getpaid.StatusPartiallyPaid, captured: "40.00", held: "0.00", refunded: "0.00"},
			{callback: "paid", amount: "100.00", status: getpaid.StatusPaid, captured: "100.00", held: "0.00", refunded: "0.00"},
			{action: "poll", code: 200, status: getpaid.StatusPaid, captured: "100.00", held: "0.00", refunded: "0.00"},
			{action: "refund", code: 200, status: getpaid.StatusRefunded, captured: "100.00", held: "0.00", refunded: "100.00"},
		}},
		{"hold then captured at the broker, refunded", []step{
			{callback: "pre_auth", amount: "100.00", status: getpaid.StatusPreAuth, captured: "0.00", held: "100.00", refunded: "0.00"},
			{callback: "paid", amount: "100.00", status: getpaid.StatusPaid, captured: "100.00", held: "0.00", refunded: "0.00"},
			{action: "refund", amount: "100.00", code: 200, status: getpaid.StatusRefunded, captured: "100.00", held: "0.00", refunded: "100.00"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{})
			p := e.create("o", "100.00", "PLN", "dummy")
			for i, s := range tt.steps {
				if s.callback != "" {
					body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: getpaid.NewID("evt"), Status: s.callback, Amount: s.amount, Currency: "PLN"})
					if resp, b := e.callback(body, sig); resp.StatusCode != 200 {
						t.Fatalf("step %d: callback %s: %d %s", i, s.callback, resp.StatusCode, b)
					}
				} else {
					var body any
					if s.amount != "" {
						body = map[string]string{"amount": s.amount}
					}
					hdr := map[string]string{"Authorization": auth["Authorization"], "Idempotency-Key": getpaid.NewID("key")}
					if resp, b := e.do("POST", "/api/v1/payments/"+p.ID+"/"+s.action, body, hdr); resp.StatusCode != s.code {
						t.Fatalf("step %d: %s %s: %d %s", i, s.action, s.amount, resp.StatusCode, b)
					}
				}
				got := e.payment(p.ID)
				if got.Status != s.status || got.Captured != s.captured || got.Locked != s.held || got.Refunded != s.refunded {
					t.Fatalf("step %d: %s captured %s held %s refunded %s; want %s %s %s %s", i,
						got.Status, got.Captured, got.Locked, got.Refunded, s.status, s.captured, s.held, s.refunded)
				}
			}
		})
	}
}
