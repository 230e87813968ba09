package brokertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// doubt runs the engine's doubt cases against the broker's simulator (issue
// 9): a refund whose answer is lost is recorded in doubt (unknown), never
// failed nor succeeded; the reconciler asks the broker and records what the
// broker really did; a retry with the same key never calls the broker again;
// and the broker ends up holding exactly the refunds getpaid recorded (the
// rest of the payment can be refunded, which the broker would refuse had it
// refunded twice). A refund the broker never made is found not made also
// when it made another of the same amount before: a lookup that took that
// one for this one would record money refunded twice that went back once.
func doubt(t *testing.T, newHarness func(t *testing.T) *Harness, newEnv func(t *testing.T, h *Harness) *env) {
	for _, tc := range []struct {
		mode    string
		applied bool // the broker made the refund before the answer was lost
		same    bool // a refund of the same amount was made before
	}{
		{"timeout-after", true, false},
		{"timeout-before", false, false},
		{"5xx", false, false},
		{"timeout-before", false, true},
		{"5xx", false, true},
	} {
		name := "refund in doubt resolved " + tc.mode
		if tc.same {
			name += " after a refund of the same amount"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			f, faults := h.Sim.(OperationFaulter)
			_, refunds := h.Broker.(getpaid.Refunder)
			_, fetches := h.Broker.(getpaid.OperationFetcher)
			if !faults || !refunds || !fetches {
				t.Skip("needs a refunding broker that looks operations up, and a simulator with operation faults")
			}
			e := newEnv(t, h)
			ctx := context.Background()
			p := paid(t, h, e, "doubt-"+tc.mode)
			part := p.Money(h.Amount.Minor / 4)
			var before int64 // refunded before the refund in doubt
			if tc.same {
				if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &part, IdempotencyKey: "refund-0"}); err != nil {
					t.Fatal(err)
				}
				before = e.waitStatus(t, p.ID, getpaid.StatusPartiallyRefunded).Refunded
				quiet(t, h)
			}
			refund := getpaid.ActionRequest{PaymentID: p.ID, Amount: &part, IdempotencyKey: "refund-1"}

			f.SetOperationFault(tc.mode)
			res, err := e.eng.Refund(ctx, refund)
			f.SetOperationFault("")
			var id string
			var oe *getpaid.OperationError
			switch {
			case tc.applied && err == nil:
				// The broker's notification of the refund it made came
				// before the answer was given up: what it said stands.
				if st := res.Operation.State; st != getpaid.OpSucceeded && st != getpaid.OpPending {
					t.Fatalf("refund notified while its answer was lost: %s", st)
				}
				id = res.Operation.ID
			case !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) || oe.Op.State != getpaid.OpUnknown:
				t.Fatalf("refund whose answer was lost: %v; want the operation in doubt (unknown)", err)
			default:
				id = oe.Op.ID
				// Its amount stays reserved (or refunded, when the broker's
				// notification of a refund it made came first).
				if q, _ := e.store.Payment(ctx, p.ID); q.RefundAsked+q.Refunded != before+part.Minor {
					t.Fatalf("a refund in doubt: asked %d, refunded %d; want %d between them", q.RefundAsked, q.Refunded, before+part.Minor)
				}
				// Retried with its key while in doubt: answered in doubt.
				if _, err := e.eng.Refund(ctx, refund); !errors.Is(err, getpaid.ErrOperationInDoubt) {
					t.Fatalf("retry while in doubt: %v, want ErrOperationInDoubt", err)
				}
			}

			op := reconciled(t, e, id)
			if !tc.applied {
				if op.State != getpaid.OpFailed {
					t.Fatalf("a refund the broker never made: %s (%s), want failed", op.State, op.Error)
				}
				if q, _ := e.store.Payment(ctx, p.ID); q.RefundAsked != 0 || q.Refunded != before || (before == 0) != (q.Status == getpaid.StatusPaid) {
					t.Fatalf("after a failed refund: %s refunded %d asked %d; want %d refunded, nothing reserved", q.Status, q.Refunded, q.RefundAsked, before)
				}
				if _, err := e.eng.Refund(ctx, refund); !errors.Is(err, getpaid.ErrOperationFailed) {
					t.Fatalf("retry of the failed refund: %v, want ErrOperationFailed", err)
				}
			} else {
				q := e.waitStatus(t, p.ID, getpaid.StatusPartiallyRefunded)
				if q.Refunded != part.Minor {
					t.Fatalf("refunded %d, want %d", q.Refunded, part.Minor)
				}
				res, err := e.eng.Refund(ctx, refund)
				if err != nil || res.Operation.ID != id {
					t.Fatalf("retry of the refund found made: %+v, %v; want operation %s", res, err, id)
				}
				if op, _ = e.store.Operation(ctx, id); op.State != getpaid.OpSucceeded {
					t.Fatalf("the refund found made is %s, want succeeded", op.State)
				}
			}

			// The broker refunds the rest: it holds no second refund.
			q, _ := e.store.Payment(ctx, p.ID)
			rest := p.Money(q.Captured - q.Refunded)
			if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &rest, IdempotencyKey: "refund-rest"}); err != nil {
				t.Fatalf("refund of the rest (%s): %v", rest, err)
			}
			if q = e.waitStatus(t, p.ID, getpaid.StatusRefunded); q.Refunded != h.Amount.Minor {
				t.Fatalf("refunded %d in all, want %d", q.Refunded, h.Amount.Minor)
			}
		})
	}
}

// reconciled runs the engine's reconciler until operation id leaves doubt
// (final, or pending at the broker), and returns it.
func reconciled(t *testing.T, e *env, id string) *getpaid.Operation {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := e.eng.Reconcile(ctx, 10); err != nil {
			t.Fatalf("Reconcile: %v", err)
		}
		op, err := e.store.Operation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if op.State.Final() || op.State == getpaid.OpPending {
			return op
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s still %s (%s) after reconciling", id, op.State, op.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
