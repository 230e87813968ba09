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

// A cancel (of an unpaid payment) or a release (of a hold) in doubt, resolved
// by an operator as done, and the broker's word that the payment was paid in
// full. The broker's word on captured money stands: the payment is paid.
// But the operator's resolution was wrong, and nothing said so: resolved
// after the payment was paid, it was taken (the cancel "succeeded" on a paid
// payment); resolved before, the paid notification made the payment paid
// with the cancel or release still claiming it was done (captured and
// released together more than the hold). Now the first is refused
// (getpaid.ErrConflict, saying the broker reported it paid), and the second
// is logged at ERROR naming the operation and the amounts, and the operation
// is recorded as failed, saying why, and flagged for an operator until one
// acknowledges it (resolves it as failed, as it is).
func TestResolvedCancelOrReleaseThenPaid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind      getpaid.OperationKind
		paidFirst bool
	}{
		{getpaid.OpCancel, false}, {getpaid.OpCancel, true},
		{getpaid.OpRelease, false}, {getpaid.OpRelease, true},
	} {
		name := string(tc.kind) + map[bool]string{false: " resolved, then paid", true: " paid, then resolved"}[tc.paidFirst]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			logs := &lockedBuffer{}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
			ctx := context.Background()
			var p *getpaid.Payment
			act := e.eng.Release
			if tc.kind == getpaid.OpCancel {
				act = e.eng.Cancel
				var err error
				if p, err = e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: *money("10.00"), ReturnURL: "https://shop.example/o"}); err != nil {
					t.Fatal(err)
				}
			} else {
				p = e.pay("o", "10.00", "pre_auth", getpaid.StatusPreAuth)
			}
			_ = e.d.SetFault(dummy.FaultTimeoutBefore)
			_, err := act(ctx, getpaid.ActionRequest{PaymentID: p.ID})
			_ = e.d.SetFault(dummy.FaultNone)
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
				t.Fatalf("%s with a lost answer: %v, want it in doubt", tc.kind, err)
			}
			paid := func() {
				t.Helper()
				if _, err := e.callback(dummy.Callback{PaymentID: p.ID, EventID: "paid-1", Status: dummy.StatusPaid, Amount: "10.00", Currency: "PLN"}); err != nil {
					t.Fatalf("paid notification: %v", err)
				}
			}
			resolve := func() (*getpaid.ActionResult, error) {
				return e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "looked done", By: "ops"})
			}
			if tc.paidFirst {
				paid()
				if _, err := resolve(); !errors.Is(err, getpaid.ErrConflict) || !strings.Contains(err.Error(), "paid") {
					t.Fatalf("resolved as succeeded after the payment was paid: %v; want a conflict saying it is paid", err)
				}
				if op, _ := e.eng.Operation(ctx, oe.Op.ID); op.State != getpaid.OpUnknown {
					t.Fatalf("after the refusal: operation %s, want it still unknown", op.State)
				}
			} else {
				if _, err := resolve(); err != nil {
					t.Fatal(err)
				}
				paid()
				if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), oe.Op.ID) {
					t.Fatalf("logged:\n%s\nwant an ERROR naming %s", logs.String(), oe.Op.ID)
				}
				if op, _ := e.eng.Operation(ctx, oe.Op.ID); op.State != getpaid.OpFailed || !strings.Contains(op.Error, "paid") {
					t.Fatalf("operation %s, error %q; want it failed, saying the broker reported it paid", op.State, op.Error)
				}
				flaggedUntilAcknowledged(t, e, oe.Op.ID, getpaid.OpFailed)
			}
			if q, _ := e.eng.Payment(ctx, p.ID); q.Status != getpaid.StatusPaid || q.Captured != 1000 {
				t.Fatalf("payment %s captured %d, want paid with 1000 (the broker's word)", q.Status, q.Captured)
			}
		})
	}
}
