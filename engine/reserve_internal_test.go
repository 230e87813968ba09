package engine

import (
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A refund that reaches the payment's row lock when nothing is left to
// refund (another refund took the rest after this request read the
// payment) is refused as "nothing left to refund" (409), as it is when the
// request reads the payment afterwards; not as a wrong amount (422 naming
// an "amount" field the request may not have sent). Something left but
// less than asked is still the amount's fault.
func TestReserveRefundWhenNothingIsLeft(t *testing.T) {
	t.Parallel()
	pln := func(minor int64) getpaid.Money { return getpaid.Money{Minor: minor, Currency: "PLN"} }
	tests := []struct {
		name                string
		status              getpaid.Status
		refunded, asked, op int64
		want                error
	}{
		{"whole refund pending", getpaid.StatusRefundStarted, 0, 3000, 3000, getpaid.ErrForbiddenTransition},
		{"part refunded, the rest pending", getpaid.StatusRefundStarted, 1000, 2000, 2000, getpaid.ErrForbiddenTransition},
		{"explicit cent, whole refund pending", getpaid.StatusRefundStarted, 0, 3000, 1, getpaid.ErrForbiddenTransition},
		{"less left than asked", getpaid.StatusRefundStarted, 0, 1000, 3000, getpaid.ErrInvalidAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &getpaid.Payment{ID: "pay_1", Status: tt.status, Amount: pln(3000), Captured: 3000, Refunded: tt.refunded, RefundAsked: tt.asked}
			op := &getpaid.Operation{ID: "op_1", PaymentID: p.ID, Kind: getpaid.OpRefund, Amount: pln(tt.op)}
			_, err := reserve(p, op)
			if !errors.Is(err, tt.want) {
				t.Fatalf("reserve: %v, want %v", err, tt.want)
			}
		})
	}
}
