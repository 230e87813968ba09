package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A resolution must say why and who decided. The note is what the next
// operator reads: a note of blanks alone says nothing, and was recorded as
// the reason (POST /api/v1/operations/{id}/resolve {"note":"   "} answered
// 200), where the CLI and the console refuse it. The operation keeps who
// decided (resolved_by) and the payment's history says "resolved by" them;
// a settled operation with no one in ResolvedBy is taken for one no
// operator touched (an unlinked refund the broker reports is then never
// matched to a refund an operator resolved as failed), and a decision by
// nobody, or by blanks ("by": "   " over the JSON API), was recorded as
// such. Either is refused, and the operation stays in doubt.
func TestResolveWithABlankNoteOrName(t *testing.T) {
	t.Parallel()
	const reason = "not in the broker's panel"
	for _, tc := range []struct {
		name, note, by string
		refused        string // the field refused; "" when it is taken
	}{
		{"empty note", "", "alice", "note"},
		{"note of spaces", "   ", "alice", "note"},
		{"note of a no-break space", "\u00a0", "alice", "note"},
		{"a reason", reason, "alice", ""},
		{"a reason with blanks around it", "  " + reason + " ", "alice", ""},
		{"nobody", reason, "", "by"},
		{"a name of spaces", reason, "   ", "by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{})
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			lost := e.refundLost(p, dummy.FaultTimeoutBefore, nil)
			_, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: lost.ID, As: getpaid.OpFailed, Note: tc.note, By: tc.by})
			if tc.refused == "" {
				if err != nil {
					t.Fatalf("resolve with note %q by %q: %v", tc.note, tc.by, err)
				}
				return
			}
			var fe *getpaid.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.refused || !errors.Is(err, getpaid.ErrInvalidRequest) {
				t.Fatalf("resolve with note %q by %q: %v, want %s refused", tc.note, tc.by, err, tc.refused)
			}
			if op, err := e.eng.Operation(ctx, lost.ID); err != nil || op.State != getpaid.OpUnknown || op.ResolvedBy != "" {
				t.Fatalf("after a refused resolution: %+v, %v; want it still in doubt", op, err)
			}
		})
	}
}
