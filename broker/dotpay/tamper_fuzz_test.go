package dotpay_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// getpaidID is the form of the ids getpaid gives payments and operations
// (getpaid.NewID): what a URLC's control names.
var getpaidID = regexp.MustCompile(`^(pay|op)_[0-9a-hjkmnp-tv-z]{26}$`)

// FuzzTamperedURLC: whatever is done to a URLC Dotpay signed, what
// ParseCallback accepts moves no money the signed one did not: it is
// ignored (no kind), or it is the signed one's kind, amount, event and
// operation numbers. Dotpay's signature hashes the values run together,
// so characters moved between control and its neighbours keep it valid:
// the payment or operation then named is one getpaid never made, never
// another of its own. The seeds are signed URLCs of a payment, a refund
// getpaid asked for, one made in Dotpay's panel and a complaint.
func FuzzTamperedURLC(f *testing.F) {
	const pay, op = "pay_01jd2m3n4p5q6r7s8t9v0w1x2y", "op_01jd2m3n4p5q6r7s8t9v0w1x3z"
	refund := with(payURLC(), "control", op, "operation_type", "refund", "operation_number", "M9999-0001",
		"operation_related_number", "M1234-5678")
	urlcs := []map[string]string{
		with(payURLC(), "control", pay),
		refund,
		with(refund, "control", pay),
		with(refund, "control", pay, "operation_type", "complaint"),
	}
	b := newBroker(f, nil)
	var want []*getpaid.Observation
	for _, u := range urlcs {
		body := signed(testPIN, u)
		o, err := b.ParseCallback(context.Background(), urlcRequest(body))
		if err != nil || o.Kind == getpaid.KindNone {
			f.Fatalf("%s: %+v, %v", body, o, err)
		}
		want = append(want, o)
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := b.ParseCallback(context.Background(), urlcRequest(body))
		if err != nil || o.Kind == getpaid.KindNone {
			return
		}
		for _, w := range want {
			if o.Kind == w.Kind && o.Amount == w.Amount && o.EventID == w.EventID && o.BrokerRef == w.BrokerRef &&
				o.Full == w.Full && o.Unrequested == w.Unrequested && o.PaymentAmount == w.PaymentAmount &&
				(o.PaymentID == w.PaymentID || !getpaidID.MatchString(o.PaymentID)) &&
				(o.OperationID == w.OperationID || !getpaidID.MatchString(o.OperationID)) {
				return
			}
		}
		t.Fatalf("%q accepted as %+v, which no URLC Dotpay signed says", body, o)
	})
}
