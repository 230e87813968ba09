package getpaid_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// OperationError.Reason says why without the error class: what the API,
// the console and the CLI show an operator.
func TestOperationErrorReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: its broker call is still running", getpaid.ErrConflict), "its broker call is still running"},
		{fmt.Errorf("%w: the payment changed; resolve it again", getpaid.ErrConflict), "the payment changed; resolve it again"},
		{fmt.Errorf("%w: the broker answered CANCELED", getpaid.ErrOperationFailed), "the broker answered CANCELED"},
		{getpaid.ErrOperationInDoubt, getpaid.ErrOperationInDoubt.Error()},
		// A class further down the chain is not cut from the front.
		{fmt.Errorf("payu: %w: not there", getpaid.ErrConflict), "payu: " + getpaid.ErrConflict.Error() + ": not there"},
		{errors.New("concurrent update conflict: but not the class"), "concurrent update conflict: but not the class"},
	} {
		oe := &getpaid.OperationError{Op: &getpaid.Operation{ID: "op-1"}, Err: tc.err}
		if got := oe.Reason(); got != tc.want {
			t.Errorf("Reason of %q = %q, want %q", tc.err, got, tc.want)
		}
	}
}
