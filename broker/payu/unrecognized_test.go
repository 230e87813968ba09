package payu_test

import (
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A signed notification in a status PayU's documentation does not list (an
// order status or a refund status added after getpaid was written) is
// acknowledged 200, changes nothing and is left to an operator
// (Observation.Unrecognized), as for the other brokers: answered 400, PayU
// sent it again for 72 hours, each refusal counted against its address.
func TestOutsideUnknownStatusAcknowledged(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.paid(t, "100.00")
	rf := &fakeRefund{ID: "5000000777", Amount: "4000", Currency: "PLN"}
	tests := []struct {
		name string
		body []byte
	}{
		{"order status", o.fake.orderNote(id, "SUSPENDED", "")},
		{"refund status", o.fake.refundNote(id, rf, "WAITING_FOR_BANK")},
	}
	for _, tc := range tests {
		for i := range 2 { // and again: still acknowledged
			if code := o.fake.notify(t, id, tc.body, signPayU(tc.body, fakeKey, "MD5")); code != 200 {
				t.Errorf("%s (delivery %d): answered %d, want 200", tc.name, i+1, code)
			}
		}
	}
	got := o.payment(t, p.ID)
	if got.Status != getpaid.StatusPaid || got.Captured != 10000 || got.Refunded != 0 {
		t.Errorf("after the notifications: %s captured %d refunded %d, want paid 10000, nothing refunded", got.Status, got.Captured, got.Refunded)
	}
}
