package dotpay_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
)

// The URLC signature hashes the fields' values run together, with nothing
// between them, so characters moved from one field to its neighbour keep a
// genuine signature valid. A refund URLC of 123.45 observed on the wire was
// accepted as a refund of 23.45 (or, with is_completed absent, of 5123.45;
// or, the original amount and currency moved into the date, as Dotpay's
// operation amount in another currency) under the same event id, whichever
// came first counted. A URLC whose
// amounts, currencies, is_completed or date are not in the form Dotpay writes them
// is refused: no shift between them then keeps every field readable.
func TestURLCFieldBoundariesShifted(t *testing.T) {
	t.Parallel()
	refund := with(payURLC(), "operation_type", "refund", "operation_number", "M9999-0001",
		"operation_related_number", "M1234-5678")
	noFlag := with(refund, "is_completed", "")
	bare := with(noFlag, "operation_withdrawal_amount", "", "operation_commission_amount", "")
	// a refund of a payment in EUR, Dotpay's operation in PLN: without the
	// original amount the operation's would be read
	foreign := with(refund, "operation_amount", "530.00", "operation_withdrawal_amount", "530.00",
		"operation_original_currency", "EUR")
	tests := []struct {
		name   string
		signed map[string]string // what the broker signed
		sent   map[string]string // the same characters, boundaries moved
	}{
		{"a digit moved from the amount into is_completed", refund,
			with(refund, "is_completed", "true1", "operation_original_amount", "23.45")},
		{"a digit moved from the amount into the commission", noFlag,
			with(noFlag, "operation_commission_amount", "2.351", "operation_original_amount", "23.45")},
		{"a digit moved from the commission into the amount", noFlag,
			with(noFlag, "operation_commission_amount", "2.3", "operation_original_amount", "5123.45")},
		{"a digit moved from the amount into the currency", bare,
			with(bare, "operation_currency", "PLN1", "operation_original_amount", "23.45")},
		{"the original amount and currency moved into the date", foreign,
			with(foreign, "operation_original_amount", "", "operation_original_currency", "",
				"operation_datetime", "123.45EUR2026-03-01 10:11:12")},
		{"a letter moved from the currency into the amount", bare,
			with(bare, "operation_currency", "PL", "operation_original_amount", "N123.45")},
	}
	b := newBroker(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if dotpay.Signature(testPIN, tc.signed) != dotpay.Signature(testPIN, tc.sent) {
				t.Fatal("the shifted fields do not keep the signature: the case tests nothing")
			}
			v := url.Values{}
			for k, val := range tc.sent {
				v.Set(k, val)
			}
			v.Set("signature", dotpay.Signature(testPIN, tc.signed))
			o, err := b.ParseCallback(context.Background(), urlcRequest([]byte(v.Encode())))
			if !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("got %+v, %v; want %v", o, err, getpaid.ErrMalformedCallback)
			}
		})
	}
}

// Dotpay signs an absent field as an empty string, and a URLC may carry a
// field it has no value for empty ("operation_commission_amount="): an
// empty field is no value in the wrong form, and moving characters into or
// out of it still leaves a non-empty neighbour out of form.
func TestURLCEmptyFieldsTaken(t *testing.T) {
	t.Parallel()
	refund := with(payURLC(), "operation_type", "refund", "operation_number", "M9999-0001",
		"operation_related_number", "M1234-5678")
	b := newBroker(t, nil)
	for _, k := range []string{"operation_withdrawal_amount", "operation_commission_amount", "is_completed"} {
		t.Run(k, func(t *testing.T) {
			t.Parallel()
			f := with(refund, k, "")
			v := url.Values{}
			for key, val := range f {
				v.Set(key, val)
			}
			v.Set(k, "")
			v.Set("signature", dotpay.Signature(testPIN, f))
			if o, err := b.ParseCallback(context.Background(), urlcRequest([]byte(v.Encode()))); err != nil || o == nil {
				t.Fatalf("a URLC with %s empty: %+v, %v", k, o, err)
			}
		})
	}
}
