package tpay_test

import (
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A status lookup of a transaction of another amount than the payment's
// (Tpay's amount next to payments.amountPaid, as tr_amount next to tr_paid
// in a notification) is refused whatever it reports: a transaction of
// 200.00 underpaid by 100.00 and accepted made a payment of 100.00 paid,
// which the same fact in a notification is refused for.
func TestPollOfTransactionOfAnotherAmountRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tx string
		want     getpaid.Status
		mismatch bool
	}{
		{"another amount, underpaid to the payment's", `"status":"correct","amount":200.00,"currency":"PLN","payments":{"status":"correct","amountPaid":100.00}`, getpaid.StatusPrepared, true},
		{"another amount, paid status", `"status":"paid","amount":200.00,"currency":"PLN","payments":{"status":"paid","amountPaid":100.00}`, getpaid.StatusPrepared, true},
		{"the payment's amount, paid", `"status":"correct","amount":100.00,"currency":"PLN","payments":{"status":"correct","amountPaid":100.00}`, getpaid.StatusPaid, false},
		{"the payment's amount, underpaid and accepted", `"status":"correct","amount":100.00,"currency":"PLN","payments":{"status":"correct","amountPaid":40.00}`, getpaid.StatusPartiallyPaid, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := pollAnswered(t, func(string) string {
				return `{"result":"success","transactionId":"ta_1","title":"TR-1",` + tt.tx + `}`
			})
			if tt.mismatch != errors.Is(err, getpaid.ErrAmountMismatch) {
				t.Fatalf("poll of %s: %v, want amount mismatch %v", tt.tx, err, tt.mismatch)
			}
			if q.Status != tt.want || (tt.mismatch && q.Captured != 0) {
				t.Fatalf("poll of %s: payment %s captured %d, want %s", tt.tx, q.Status, q.Captured, tt.want)
			}
		})
	}
}

// A lookup answering a paid transaction without its amount (Tpay's
// transaction object states one: docs-api.tpay.com first-transaction) was
// read as a capture of 0.00 in full and refused as an amount mismatch
// ("broker says paid 0.00 PLN"), whatever payments.amountPaid said. It is
// now a retryable error naming what Tpay did say; the payment is left as
// it was, never paid on an amount not confirmed.
func TestPollOfPaidTransactionWithoutAmount(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, tx string }{
		{"amountPaid of the whole", `"status":"correct","currency":"PLN","payments":{"status":"correct","amountPaid":100.00}`},
		{"amountPaid of part", `"status":"paid","currency":"PLN","payments":{"status":"paid","amountPaid":40.00}`},
		{"no payments", `"status":"correct","currency":"PLN"`},
		{"amount null", `"status":"correct","amount":null,"currency":"PLN","payments":{"status":"correct","amountPaid":100.00}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := pollAnswered(t, func(string) string {
				return `{"result":"success","transactionId":"ta_1","title":"TR-1",` + tt.tx + `}`
			})
			if err == nil || errors.Is(err, getpaid.ErrAmountMismatch) || !getpaid.IsRetryable(err) {
				t.Fatalf("poll of %s: %v, want a retryable error, no amount mismatch", tt.tx, err)
			}
			if q.Status != getpaid.StatusPrepared || q.Captured != 0 {
				t.Fatalf("poll of %s: payment %s captured %d, want prepared, nothing captured", tt.tx, q.Status, q.Captured)
			}
		})
	}
}
