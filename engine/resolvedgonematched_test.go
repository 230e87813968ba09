package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A refund an operator resolved as done that the broker never made (its
// lookup: no such refund), then another refund of getpaid's in doubt, which
// the broker made and notified by its own id alone: the lookup links the
// notification to that refund, counted as getpaid's. Nothing was counted on
// its own, yet the ERROR said the notified refund was, and might be the
// resolved one counted twice, and wrote so into the resolved refund's
// error. Only a refund counted on its own (none of getpaid's) is said so.
func TestResolvedRefundNeverMadeNotBlamedForAnotherOperationsRefund(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	b := &lostAnswers{payuLike: &payuLike{refunds: map[string]string{}, amounts: map[string]int64{}, status: map[string]string{}}}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))},
		func(d *dummy.Broker) getpaid.Broker { b.Broker = d; return b })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	lost := func(amount, key string) *getpaid.Operation {
		t.Helper()
		_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money(amount), IdempotencyKey: key})
		var oe *getpaid.OperationError
		if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
			t.Fatalf("refund %s: %v, want it in doubt", key, err)
		}
		return oe.Op
	}
	second := lost("4.00", "b") // made at the broker as rf1, its answer lost
	a := lost("3.00", "a")
	b.mu.Lock()
	delete(b.refunds, a.ID) // the broker never got it
	b.mu.Unlock()
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: a.ID, As: getpaid.OpSucceeded, Note: "refunded by hand", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " rf1 FINALIZED")}); err != nil {
		t.Fatal(err)
	}
	if op, _ := e.eng.Operation(ctx, second.ID); op.State != getpaid.OpSucceeded {
		t.Fatalf("refund b after its notification: %s, want succeeded (linked by the lookup)", op.State)
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Refunded != 700 {
		t.Fatalf("refunded %d, want 700", q.Refunded)
	}
	if strings.Contains(logs.String(), "counted on its own") {
		t.Errorf("logged\n%s\nthe refund notified was getpaid's own (refund b), counted as such: nothing was counted on its own", logs.String())
	}
	if op, _ := e.eng.Operation(ctx, a.ID); strings.Contains(op.Error, "rf1") {
		t.Errorf("resolved refund's error %q: names rf1, which was refund b's", op.Error)
	}
}

// lostAnswers is payuLike losing the answer to every refund it makes.
type lostAnswers struct{ *payuLike }

func (b *lostAnswers) Refund(_ context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ref := fmt.Sprintf("rf%d", len(b.amounts)+1)
	b.refunds[req.OperationID], b.amounts[ref], b.status[ref] = ref, req.Amount.Minor, "PENDING"
	return nil, &getpaid.BrokerError{Op: "test: refund", Retryable: true, Happened: true, Err: context.DeadlineExceeded}
}
