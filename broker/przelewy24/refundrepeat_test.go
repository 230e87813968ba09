package przelewy24_test

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// TestRefundNotificationRepeated: a refund notification for a refund
// already applied (full or partial, by this notification, by the lookup of
// the refund, or by an operator's resolution of it) is acknowledged, never
// refused: Przelewy24 sends it until it is.
func TestRefundNotificationRepeated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, amount string
		refunded     int64
		// settle applies the refund before its notification comes again.
		settle string // "notification", "lookup", "operator"
	}{
		{"full by notification", "", 10000, "notification"},
		{"partial by notification", "30.00", 3000, "notification"},
		{"full by lookup", "", 10000, "lookup"},
		{"partial by lookup", "30.00", 3000, "lookup"},
		{"full by operator", "", 10000, "operator"},
		{"partial by operator", "30.00", 3000, "operator"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			o := newXOutside(t, nil)
			p, _ := o.paid(t, "100.00")
			if tc.settle == "operator" {
				o.fake.set(func(f *xP24) { f.refundLost = true })
			}
			res, err := o.refund(t, p.ID, tc.amount, "r1")
			if tc.settle != "operator" && err != nil {
				t.Fatalf("refund: %v", err)
			}
			ops, err := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID, Kind: getpaid.OpRefund})
			if err != nil || len(ops.Operations) != 1 {
				t.Fatalf("operations %v %v (refund %v)", ops, err, res)
			}
			op := ops.Operations[0]
			o.fake.mu.Lock()
			rid, _ := o.fake.refunds[0]["requestId"].(string)
			o.fake.mu.Unlock()
			body, url := o.fake.finishRefund(t, p.ID, rid, 0)
			switch tc.settle {
			case "notification":
				if got := o.fake.post(t, url, body); got != 200 {
					t.Fatalf("refund notification answered %d", got)
				}
			case "lookup":
				if got, err := o.reconcile(t, op.ID); err != nil || got.State != getpaid.OpSucceeded {
					t.Fatalf("lookup: %v %v", got, err)
				}
			case "operator":
				if _, err := o.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: op.ID, As: getpaid.OpSucceeded,
					Note: "Przelewy24's panel shows it done", By: "alice"}); err != nil {
					t.Fatalf("resolve: %v", err)
				}
			}
			if got := o.payment(t, p.ID); got.Refunded != tc.refunded {
				t.Fatalf("before the repeat: %s refunded %d", got.Status, got.Refunded)
			}
			if got := o.fake.post(t, url, body); got != 200 {
				t.Errorf("the refund's notification, the refund applied, answered %d, want 200", got)
			}
			if got := o.payment(t, p.ID); got.Refunded != tc.refunded || got.RefundAsked != 0 {
				t.Errorf("after the repeat: %s refunded %d asked %d", got.Status, got.Refunded, got.RefundAsked)
			}
		})
	}
}
