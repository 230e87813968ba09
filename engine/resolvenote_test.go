package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A resolution must say why (the note is what the next operator reads):
// a note of blanks alone says nothing, and was recorded as the reason
// (POST /api/v1/operations/{id}/resolve {"note":"   "} answered 200),
// where the CLI and the console refuse it. It is refused, and the
// operation stays in doubt.
func TestResolveWithABlankNote(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, note string
		ok         bool
	}{
		{"empty", "", false},
		{"spaces", "   ", false},
		{"no-break space", "\u00a0", false},
		{"a reason", "not in the broker's panel", true},
		{"a reason with blanks around it", "  not in the broker's panel ", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{})
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			_ = e.d.SetFault(dummy.FaultTimeoutBefore)
			_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) {
				t.Fatal(err)
			}
			_, err = e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpFailed, Note: tc.note, By: "alice"})
			if tc.ok {
				if err != nil {
					t.Fatalf("resolve with note %q: %v", tc.note, err)
				}
				return
			}
			var fe *getpaid.FieldError
			if !errors.As(err, &fe) || fe.Field != "note" || !errors.Is(err, getpaid.ErrInvalidRequest) {
				t.Fatalf("resolve with note %q: %v, want the note refused", tc.note, err)
			}
			if op, err := e.eng.Operation(ctx, oe.Op.ID); err != nil || op.State != getpaid.OpUnknown || op.ResolvedBy != "" {
				t.Fatalf("after a refused resolution: %+v, %v; want it still in doubt", op, err)
			}
		})
	}
}

// A resolution must say who decided: the operation keeps it (resolved_by)
// and the payment's history says "resolved by" them, and a settled
// operation with no one in ResolvedBy is taken for one no operator
// touched (an unlinked refund the broker reports is then never matched to
// a refund an operator resolved as failed). A decision by nobody, or by
// blanks ("by": "   " over the JSON API), was recorded as such.
func TestResolveWithoutAName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, by string
		ok       bool
	}{
		{"empty", "", false},
		{"spaces", "   ", false},
		{"a name", "alice", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{})
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			_ = e.d.SetFault(dummy.FaultTimeoutBefore)
			_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) {
				t.Fatal(err)
			}
			_, err = e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpFailed, Note: "not in the broker's panel", By: tc.by})
			if tc.ok {
				if err != nil {
					t.Fatalf("resolve by %q: %v", tc.by, err)
				}
				return
			}
			var fe *getpaid.FieldError
			if !errors.As(err, &fe) || fe.Field != "by" || !errors.Is(err, getpaid.ErrInvalidRequest) {
				t.Fatalf("resolve by %q: %v, want the name refused", tc.by, err)
			}
			if op, err := e.eng.Operation(ctx, oe.Op.ID); err != nil || op.State != getpaid.OpUnknown {
				t.Fatalf("after a refused resolution: %+v, %v; want it still in doubt", op, err)
			}
		})
	}
}
