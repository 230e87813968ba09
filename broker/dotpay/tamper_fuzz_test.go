package dotpay_test

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
)

// getpaidID is the form of the ids getpaid gives payments and operations
// (getpaid.NewID): what a URLC's control names.
var getpaidID = regexp.MustCompile(`^(pay|op)_[0-9a-hjkmnp-tv-z]{26}$`)

// FuzzTamperedURLC: whatever is done to a URLC Dotpay signed, what
// ParseCallback accepts moves no money the signed one did not: it is
// ignored (no kind), or it is the signed one's kind, amount, event and
// operation numbers, and names the signed one's payment: the same
// ExternalID (the Dotpay number the engine finds the payment by when
// control finds none) or none. Dotpay's signature hashes the values run
// together, so characters moved between control and its neighbours keep it
// valid: the payment or operation then named is one getpaid never made,
// never another of its own. The seeds are signed URLCs of a payment, a
// refund getpaid asked for, one made in Dotpay's panel and a complaint,
// some with another payment's or operation's id in the buyer's free text
// (description, email). cut, when given, re-splits the body's values
// before it is parsed, as such a move would (resplit).
func FuzzTamperedURLC(f *testing.F) {
	const pay, op = "pay_01jd2m3n4p5q6r7s8t9v0w1x2y", "op_01jd2m3n4p5q6r7s8t9v0w1x3z"
	const other, otherOp = "pay_01jd2m3n4p5q6r7s8t9v0w1x4a", "op_01jd2m3n4p5q6r7s8t9v0w1x5b"
	refund := with(payURLC(), "control", op, "operation_type", "refund", "operation_number", "M9999-0001",
		"operation_related_number", "M1234-5678")
	urlcs := []map[string]string{
		with(payURLC(), "control", pay),
		refund,
		with(refund, "control", pay),
		with(refund, "control", pay, "operation_type", "complaint"),
		// The buyer's free text names another payment or operation.
		with(payURLC(), "control", pay, "description", "Zamówienie", "email", other+"x@example.com"),
		with(payURLC(), "control", pay, "description", "", "email", other+"x@example.com"),
		with(payURLC(), "control", pay, "description", "Order "+other),
		with(refund, "description", "", "email", otherOp+"x@example.com"),
		with(refund, "control", pay, "operation_type", "complaint", "email", other+"x@example.com"),
	}
	// The run of fields a buyer's free text is in, re-split.
	related := []byte{byte(slices.Index(dotpay.SignedFields(), "operation_related_number"))}
	b := newBroker(f, nil)
	var want []*getpaid.Observation
	for _, u := range urlcs {
		body := signed(testPIN, u)
		o, err := b.ParseCallback(context.Background(), urlcRequest(body))
		if err != nil || o.Kind == getpaid.KindNone {
			f.Fatalf("%s: %+v, %v", body, o, err)
		}
		want = append(want, o)
		f.Add(body, []byte(nil))
		f.Add(body, related)
	}
	f.Fuzz(func(t *testing.T, body, cut []byte) {
		if len(cut) > 0 {
			body = resplit(body, cut)
		}
		o, err := b.ParseCallback(context.Background(), urlcRequest(body))
		if err != nil || o.Kind == getpaid.KindNone {
			return
		}
		for _, w := range want {
			if o.Kind == w.Kind && o.Amount == w.Amount && o.EventID == w.EventID && o.BrokerRef == w.BrokerRef &&
				o.Full == w.Full && o.Unrequested == w.Unrequested && o.PaymentAmount == w.PaymentAmount &&
				(o.ExternalID == w.ExternalID || o.ExternalID == "") &&
				(o.PaymentID == w.PaymentID || !getpaidID.MatchString(o.PaymentID)) &&
				(o.OperationID == w.OperationID || !getpaidID.MatchString(o.OperationID)) {
				return
			}
		}
		t.Fatalf("%q accepted as %+v, which no URLC Dotpay signed says", body, o)
	})
}

// resplit moves characters between neighbouring signed fields of a form
// body, its signature kept: the values of the four signed fields from
// cut[0] on are run together and cut again where cut[1:4] say, each a
// choice among the places a re-split would cut (where the values met, where
// a getpaid id in them starts or ends, a character either side of those).
// A body that is no form is returned as it is.
func resplit(body, cut []byte) []byte {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return body
	}
	fields := dotpay.SignedFields()
	start := int(cut[0]) % len(fields)
	window := fields[start:min(start+4, len(fields))]
	var joined string
	edges := []int{0}
	for _, k := range window {
		joined += vals.Get(k)
		edges = append(edges, len(joined))
	}
	orig := slices.Clone(edges)
	for _, prefix := range []string{"pay_", "op_"} {
		for i := 0; ; {
			j := strings.Index(joined[i:], prefix)
			if j < 0 {
				break
			}
			i += j
			edges = append(edges, i, i+len(prefix)+26)
			i++
		}
	}
	for _, e := range slices.Clone(edges) {
		edges = append(edges, e-1, e+1)
	}
	edges = slices.DeleteFunc(edges, func(e int) bool { return e < 0 || e > len(joined) })
	slices.Sort(edges)
	edges = slices.Compact(edges)
	at := orig[1 : len(orig)-1]
	for i := range at {
		if i+1 < len(cut) {
			at[i] = edges[int(cut[i+1])%len(edges)]
		}
	}
	slices.Sort(at)
	from := 0
	for i, k := range window {
		to := len(joined)
		if i < len(at) {
			to = at[i]
		}
		if v := joined[from:to]; v != "" {
			vals.Set(k, v)
		} else {
			vals.Del(k)
		}
		from = to
	}
	return []byte(vals.Encode())
}
