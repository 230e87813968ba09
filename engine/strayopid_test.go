package engine_test

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A refund's fact naming an operation id getpaid does not know, but the
// broker's id of a refund of getpaid's under way, is that refund's: Dotpay's
// URLC signature runs control and description together, so a genuine URLC
// with the operation id's last character moved into the description (or the
// description's first into it) still verifies. It was applied as a refund
// of no operation: the money counted, the operation left pending for good
// (its own URLC and lookup then duplicates of that event), flagged a day
// later for an operator. Found by BrokerRef, it finishes the operation.
func TestRefundFactNamingAnUnknownOperation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opID func(op string) string
	}{
		{"a character short", func(op string) string { return op[:len(op)-1] }},
		{"a character too many", func(op string) string { return op + "R" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fb := &fakeBroker{}
			e := newEngine(t, refBroker{fb}, memory.New())
			p := paidPayment(t, e, fb) // 10.00 PLN
			op := pendingRefund(t, e, p)
			fact := func(opID string) *getpaid.Observation {
				return &getpaid.Observation{Kind: getpaid.KindRefunded, Amount: p.Money(300), ExternalID: p.ExternalID,
					EventID: "refund:" + op.BrokerRef, BrokerRef: op.BrokerRef, OperationID: opID}
			}
			for _, o := range []*getpaid.Observation{fact(tc.opID(op.ID)), fact(op.ID)} {
				fb.obs = o
				if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
					t.Fatal(err)
				}
			}
			q, _ := e.Payment(ctx, p.ID)
			got, _ := e.Operation(ctx, op.ID)
			if q.Refunded != 300 || q.RefundAsked != 0 || q.Status != getpaid.StatusPartiallyRefunded || got.State != getpaid.OpSucceeded {
				t.Fatalf("%s refunded %d asked %d, operation %s; want partially_refunded, 300, 0, succeeded",
					q.Status, q.Refunded, q.RefundAsked, got.State)
			}
		})
	}
}
