package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A cancel or release the payment's status forbids says why and what to do
// instead. Before, a cancel of an already cancelled (or failed, paid, held)
// payment answered "only an unpaid payment can be cancelled", and a release
// of anything not held "no funds held", whatever the status.
func TestCancelAndReleaseRefusalsSayWhatToDo(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	cancelled := e.pay("o-c", "10.00", "pre_auth", getpaid.StatusPreAuth)
	if _, err := e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: cancelled.ID}); err != nil {
		t.Fatal(err)
	}
	prepared, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-p", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	paid := e.pay("o-paid", "10.00", "paid", getpaid.StatusPaid)
	failed := e.pay("o-f", "10.00", "failed", getpaid.StatusFailed)
	held := e.pay("o-h", "10.00", "pre_auth", getpaid.StatusPreAuth)
	tests := []struct {
		name    string
		action  func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error)
		payment string
		want    string
	}{
		{"cancel of a cancelled payment", e.eng.Cancel, cancelled.ID, "cancelled already"},
		{"cancel of a failed payment", e.eng.Cancel, failed.ID, "it failed: nothing is held or left to cancel"},
		{"cancel of a paid payment", e.eng.Cancel, paid.ID, "refund it instead"},
		{"cancel of a hold", e.eng.Cancel, held.ID, "release the hold instead"},
		{"release of an unpaid payment", e.eng.Release, prepared.ID, "cancel it instead"},
		{"release of a paid payment", e.eng.Release, paid.ID, "refund it instead"},
		{"release of a cancelled payment", e.eng.Release, cancelled.ID, "cancelled already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.action(ctx, getpaid.ActionRequest{PaymentID: tt.payment})
			if !errors.Is(err, getpaid.ErrForbiddenTransition) {
				t.Fatalf("got %v, want a forbidden transition", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("refused with %q, want it to say %q", err, tt.want)
			}
		})
	}
}
