package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// The broker's late word on a refund an operator resolved as succeeded
// changes nothing. "Failed": the refund stays counted for the operator to
// check, and above all another refund still in flight keeps its
// reservation (the failed refund's amount taken off what is reserved would
// free it, and the money could be refunded twice). "Started" (accepted):
// the refund has ended, and a reservation for it would never be released.
func TestLateWordOnAResolvedRefund(t *testing.T) {
	t.Parallel()
	for _, notice := range []string{"refund-failed", "refund-started"} {
		t.Run(notice, func(t *testing.T) {
			t.Parallel()
			lateWordOnAResolvedRefund(t, notice)
		})
	}
}

func lateWordOnAResolvedRefund(t *testing.T, notice string) {
	gb := &gatedBroker{refund: newGate(), lookup: newGate()}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: memory.New()},
		func(d *dummy.Broker) getpaid.Broker { gb.Broker = d; return gb })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	inDoubt := func(amount string) *getpaid.Operation {
		t.Helper()
		_ = e.d.SetFault(dummy.FaultTimeoutBefore) // not done, the answer lost
		defer func() { _ = e.d.SetFault(dummy.FaultNone) }()
		_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money(amount)})
		var oe *getpaid.OperationError
		if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) {
			t.Fatalf("refund of %s with a lost answer: %v", amount, err)
		}
		return oe.Op
	}
	a := inDoubt("4.00")
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: a.ID, As: getpaid.OpSucceeded, Note: "looked done", By: "alice"}); err != nil {
		t.Fatal(err)
	}
	inDoubt("3.00") // another refund, in flight
	before, err := e.eng.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if before.Refunded != 400 || before.RefundAsked != 300 {
		t.Fatalf("before the notification: refunded %d, asked %d; want 400 and 300", before.Refunded, before.RefundAsked)
	}
	res, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte(notice + " " + p.ID + " " + a.ID)})
	if err != nil {
		t.Fatalf("notification: %v", err)
	}
	q, err := e.eng.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.Refunded != 400 || q.RefundAsked != 300 || q.Status != before.Status || res.Outcome != getpaid.OutcomeNoChange {
		t.Fatalf("after the broker contradicted the operator: %s, refunded %d, asked %d (outcome %s); want it unchanged", q.Status, q.Refunded, q.RefundAsked, res.Outcome)
	}
}
