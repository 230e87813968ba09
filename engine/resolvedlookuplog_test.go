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

// A refund notification held back because it may be the refund an operator
// resolved as done, while the broker is down, is answered 503 and sent
// again: only doubt, for as long as the broker is down. It was logged at
// ERROR as "broker observation refused" on every delivery, as a fact
// getpaid cannot take is; it is a warning that it is not recorded yet.
func TestResolvedRefundLookupDownNotLoggedAsRefused(t *testing.T) {
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
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.down = true
	b.mu.Unlock()
	before := len(logs.String())
	_, err = e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " rf1 FINALIZED")})
	if !getpaid.IsRetryable(err) {
		t.Fatalf("notification with the lookup down: %v; want a retryable broker error (503)", err)
	}
	if out := logs.String()[before:]; strings.Contains(out, "level=ERROR") || !strings.Contains(out, "level=WARN") {
		t.Fatalf("logged:\n%s\nwant a warning, no error", out)
	}
}
