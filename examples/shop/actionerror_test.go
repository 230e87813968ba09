package shop

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// What the order page says about a refused action is in words a buyer
// reads: a status is its label ("Partially paid"), never getpaid's
// identifier (partially_paid), and a form sent again with another amount
// says so rather than naming an idempotency key.
func TestActionErrorWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		want      string
		forbidden string
	}{
		{"a capture on a payment no longer held",
			fmt.Errorf("engine: %w", &getpaid.TransitionError{From: getpaid.StatusPartiallyPaid, To: getpaid.StatusPaid, Reason: "no funds held"}),
			"Partially paid", "partially_paid"},
		{"a release on a payment declined",
			&getpaid.TransitionError{From: getpaid.StatusFailed, To: getpaid.StatusCancelled, Reason: "no funds held"},
			"Declined or failed", "failed;"},
		{"the capture form sent again with another amount",
			fmt.Errorf("engine: %w", &getpaid.FieldError{Field: "Idempotency-Key", Reason: "already used for another request (capture 10.00 PLN)"}),
			"reload the page", "already used for another request"},
		{"an amount over the hold",
			&getpaid.FieldError{Field: "amount", Reason: "the hold is 39.00 PLN"},
			"Refused: the hold is 39.00 PLN.", ""},
		// A broker that answered was reached: a simulator restarted
		// answers it does not know the payment, and "try again" looped.
		{"a check of a payment the broker does not know",
			fmt.Errorf("engine: poll: %w", &getpaid.BrokerError{Op: "payu: retrieve order", Status: 404, Err: errors.New("DATA_NOT_FOUND")}),
			"does not know this payment", "could not be reached"},
		{"a refusal",
			&getpaid.BrokerError{Op: "tpay: refund", Status: 400, Err: errors.New("refund_amount_too_high")},
			"refund_amount_too_high", "could not be reached"},
		{"the broker down",
			&getpaid.BrokerError{Op: "payu: retrieve order", Status: 503, Retryable: true, Err: errors.New("busy")},
			"could not be reached", ""},
		{"no answer",
			&getpaid.BrokerError{Op: "payu: retrieve order", Retryable: true, Err: errors.New("connection refused")},
			"could not be reached", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := actionError(tt.err)
			if !strings.Contains(got, tt.want) || (tt.forbidden != "" && strings.Contains(got, tt.forbidden)) {
				t.Fatalf("actionError = %q; want it to say %q and not %q", got, tt.want, tt.forbidden)
			}
		})
	}
}
