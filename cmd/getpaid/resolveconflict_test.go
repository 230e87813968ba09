package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// operations resolve refused as a conflict says why: for an operation
// settled since, that it is settled and by whom; for one still in doubt
// that the engine refused (a refund a notification may have counted
// already), the engine's reason, which says what to do. It said
// "operation op_1 has already unknown, settled by what the broker said
// (…): nothing to resolve", as if the refund were settled.
func TestResolveConflictSaysWhy(t *testing.T) {
	t.Parallel()
	why := "this refund may be one of them, counted already; compare the broker's refund ids in the payment's history with its panel"
	tests := []struct {
		name    string
		op      getpaid.Operation
		err     error
		want    []string
		notWant string
	}{
		{"still in doubt", getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, State: getpaid.OpUnknown},
			fmt.Errorf("%w: %s", getpaid.ErrConflict, why), []string{"op_1", "not resolved", why}, "has already"},
		{"settled by the broker", getpaid.Operation{ID: "op_2", Kind: getpaid.OpRefund, State: getpaid.OpSucceeded},
			fmt.Errorf("%w: already succeeded", getpaid.ErrConflict), []string{"op_2 has already succeeded", "by what the broker said"}, "not resolved"},
		{"settled by an operator", getpaid.Operation{ID: "op_3", Kind: getpaid.OpCapture, State: getpaid.OpFailed, ResolvedBy: "alice", Note: "no capture in the panel"},
			fmt.Errorf("%w: already failed", getpaid.ErrConflict), []string{"op_3 has already failed", `by alice ("no capture in the panel")`}, "not resolved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := tt.op
			got := resolveConflict(&getpaid.OperationError{Op: &op, Err: tt.err}).Error()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			if strings.Contains(got, tt.notWant) {
				t.Errorf("%q says %q", got, tt.notWant)
			}
		})
	}
}
