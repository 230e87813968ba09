package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// TestOperationListingsUseIndexes checks how SQLite plans the operation
// listings an operator makes: each along an index. The flagged ones (the
// console's "Needs attention" page at every load, GET
// /api/v1/operations?flagged=true) were found by reading every operation
// ever made, newest first, for the few flagged.
func TestOperationListingsUseIndexes(t *testing.T) {
	t.Parallel()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name  string
		f     getpaid.OperationFilter
		index string
	}{
		{"flagged", getpaid.OperationFilter{FlaggedOnly: true}, "operations_flagged"},
		{"in a state", getpaid.OperationFilter{State: getpaid.OpUnknown}, "operations_state"},
		{"of a payment", getpaid.OperationFilter{PaymentID: "pay_1"}, "operations_payment"},
		{"of a payment, flagged", getpaid.OperationFilter{PaymentID: "pay_1", FlaggedOnly: true}, "operations_payment"},
	} {
		w := operationWhere(tc.f)
		plan := explain(t, s, pageSQL("operations", operationCols, w, 51), w.args)
		if !strings.Contains(plan, "INDEX "+tc.index) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan %q; want index %s, newest first", tc.name, plan, tc.index)
		}
	}
}
