package engine_test

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A refund's end that names only getpaid's operation (its id echoed as
// Dotpay echoes the control getpaid sent, without the payment's id or the
// broker's id of the payment) finds the payment through that operation,
// and finishes it once; an operation id getpaid does not know is an
// unknown payment.
func TestCallbackFindsPaymentByOperation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fb := &fakeBroker{}
	e := newEngine(t, refBroker{fb}, memory.New())
	p := paidPayment(t, e, fb) // 10.00 PLN
	op := pendingRefund(t, e, p)
	end := &getpaid.Observation{OperationID: op.ID, Kind: getpaid.KindRefunded, Amount: p.Money(300),
		EventID: "rf:completed", BrokerRef: op.BrokerRef}
	for i, want := range []getpaid.Outcome{getpaid.OutcomeApplied, getpaid.OutcomeDuplicate} {
		o := *end
		fb.obs = &o
		got, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
		if err != nil || got.Outcome != want {
			t.Fatalf("delivery %d: %+v, %v; want %s", i+1, got, err, want)
		}
	}
	q, _ := e.Payment(ctx, p.ID)
	done, _ := e.Operation(ctx, op.ID)
	if q.Refunded != 300 || q.RefundAsked != 0 || done.State != getpaid.OpSucceeded {
		t.Fatalf("payment refunded %d asked %d, operation %s; want 300, 0, succeeded", q.Refunded, q.RefundAsked, done.State)
	}
	// A payment id that names nothing (another system's reference echoed)
	// does not hide the operation either.
	res, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("2.00"), IdempotencyKey: "r2"})
	if err != nil || res.Operation.State != getpaid.OpPending {
		t.Fatalf("refund 2.00: %+v, %v; want it pending", res, err)
	}
	fb.obs = &getpaid.Observation{PaymentID: "pay_elsewhere", OperationID: res.Operation.ID, Kind: getpaid.KindRefunded,
		Amount: p.Money(200), EventID: "rf2:completed", BrokerRef: res.Operation.BrokerRef}
	if got, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil || got.Outcome != getpaid.OutcomeApplied || got.Payment.Refunded != 500 {
		t.Fatalf("refund's end under an unknown payment id: %+v, %v; want applied, 500 refunded", got, err)
	}
	if done, _ := e.Operation(ctx, res.Operation.ID); done.State != getpaid.OpSucceeded {
		t.Fatalf("refund's end under an unknown payment id left its operation %s", done.State)
	}
	fb.obs = &getpaid.Observation{OperationID: "op_nobody", Kind: getpaid.KindRefunded, Amount: p.Money(100), EventID: "x:completed"}
	if got, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil || got.Outcome != getpaid.OutcomeUnknown {
		t.Fatalf("unknown operation: %+v, %v; want unknown", got, err)
	}
}
