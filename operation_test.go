package getpaid_test

import (
	"testing"

	"github.com/getpaid-go/getpaid"
)

// Capture, release and cancel change the same hold, one at a time; refunds
// are checked by amount and may run side by side.
func TestOperationKindExclusive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind getpaid.OperationKind
		want bool
	}{
		{getpaid.OpCapture, true},
		{getpaid.OpRelease, true},
		{getpaid.OpCancel, true},
		{getpaid.OpRefund, false},
	} {
		if !tc.kind.Valid() {
			t.Fatalf("%q is not a valid kind", tc.kind)
		}
		if got := tc.kind.Exclusive(); got != tc.want {
			t.Errorf("%s.Exclusive() = %v, want %v", tc.kind, got, tc.want)
		}
	}
}
