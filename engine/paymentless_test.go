package engine_test

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// django-getpaid scenario 15 (paymentless webhook): a notification is
// resolved by getpaid's payment id, else by the broker's id (a PayU
// notification without extOrderId); one matching no payment is
// acknowledged and changes nothing, so the broker stops sending it.
// (A payload naming two payments is TestCallbackNamingTwoPaymentsIsRefused.)
func TestCallbackResolvedByBrokerID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		id, ext string // "own": the payment's own id / broker id
		outcome getpaid.Outcome
		status  getpaid.Status
	}{
		{"getpaid id", "own", "", getpaid.OutcomeApplied, getpaid.StatusPaid},
		{"getpaid id and its broker id", "own", "own", getpaid.OutcomeApplied, getpaid.StatusPaid},
		{"broker id alone", "", "own", getpaid.OutcomeApplied, getpaid.StatusPaid},
		{"unknown broker id alone", "", "TR-UNKNOWN", getpaid.OutcomeUnknown, getpaid.StatusPrepared},
		{"unknown getpaid id alone", "pay_unknown", "", getpaid.OutcomeUnknown, getpaid.StatusPrepared},
		{"unknown getpaid and broker ids", "pay_unknown", "TR-UNKNOWN", getpaid.OutcomeUnknown, getpaid.StatusPrepared},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			e := newEngine(t, fb, memory.New())
			ctx := context.Background()
			p := create(t, e)
			id, ext := tc.id, tc.ext
			if id == "own" {
				id = p.ID
			}
			if ext == "own" {
				ext = p.ExternalID
			}
			fb.obs = &getpaid.Observation{PaymentID: id, ExternalID: ext, EventID: "ev-1", Kind: getpaid.KindCaptured,
				Amount: p.Amount, Full: true}
			res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
			if err != nil {
				t.Fatalf("callback: %v", err)
			}
			if res.Outcome != tc.outcome {
				t.Errorf("outcome %v, want %v", res.Outcome, tc.outcome)
			}
			q, err := e.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if q.Status != tc.status {
				t.Errorf("payment: %s, want %s", q.Status, tc.status)
			}
		})
	}
}
