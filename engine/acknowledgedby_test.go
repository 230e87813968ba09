package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A refund resolved as done by one operator ("ops"), contradicted by the
// broker and acknowledged by another ("bob"): the acknowledgement replaced
// who resolved it, so when the broker then reported another refund made in
// its panel, the ERROR and the operation's error said the refund was
// "resolved as done by bob", who never resolved it, and its note was lost.
// Now the resolution stands as made (its operator and note), and the
// acknowledgement is recorded with it in the note.
func TestAcknowledgementKeepsWhoResolved(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	b := &payuLike{refunds: map[string]string{}, amounts: map[string]int64{}, status: map[string]string{}}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))},
		func(d *dummy.Broker) getpaid.Broker { b.Broker = d; return b })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("3.00"), IdempotencyKey: "a"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund a: %v, want it in doubt", err)
	}
	b.mu.Lock()
	delete(b.refunds, oe.Op.ID) // the broker never got it
	b.mu.Unlock()
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "refunded by hand", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	panel := func(ref string) {
		t.Helper()
		b.mu.Lock()
		b.amounts[ref], b.status[ref] = 100, "FINALIZED"
		b.mu.Unlock()
		if _, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " " + ref + " FINALIZED")}); err != nil {
			t.Fatalf("panel refund %s: %v", ref, err)
		}
	}
	panel("rf9")
	res, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "rf9 is another", By: "bob"})
	if err != nil {
		t.Fatalf("acknowledged: %v", err)
	}
	if op := res.Operation; op.Flagged || op.ResolvedBy != "ops" || !strings.Contains(op.Note, "refunded by hand") ||
		!strings.Contains(op.Note, "bob") || !strings.Contains(op.Note, "rf9 is another") {
		t.Fatalf("acknowledged: flagged %v, resolved by %q, note %q; want it resolved by ops as before, the note saying bob acknowledged it and why", op.Flagged, op.ResolvedBy, op.Note)
	}
	panel("rf10")
	op, _ := e.eng.Operation(ctx, oe.Op.ID)
	if !op.Flagged || !strings.Contains(op.Error, "rf10") || !strings.Contains(op.Error, "resolved as done by ops") {
		t.Fatalf("another panel refund: flagged %v, error %q; want it flagged again, naming rf10 and ops, who resolved it as done", op.Flagged, op.Error)
	}
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "level=ERROR") && strings.Contains(l, "rf10") && !strings.Contains(l, "resolved_by=ops") {
			t.Fatalf("the ERROR about rf10 does not name ops, who resolved it as done:\n%s", l)
		}
	}
}
