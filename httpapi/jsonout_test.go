package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// encoderBytes is what writeJSON's encoding/json path writes for v.
func encoderBytes(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return b.Bytes()
}

// writtenBytes is what h.writePayment answers for p.
func writtenBytes(h *Handler, p *PaymentJSON) []byte {
	rec := httptest.NewRecorder()
	h.writePayment(rec, 200, p)
	return rec.Body.Bytes()
}

func TestPaymentJSONAppendMatchesEncoder(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 10, 19, 6, 557543716, time.UTC)
	warsaw := time.FixedZone("CET", 3600)
	tricky := "a\"b\\c\x00\x01\x1f\b\f\n\r\t<>&\x7f \u2028\u2029 é 🙂 \xff\xfe end \xe2\x82"
	op := &OperationJSON{ID: "op_1", PaymentID: "pay_1", Kind: "refund", State: "unknown", Amount: "1.00", Currency: "PLN",
		IdempotencyKey: tricky, BrokerRef: "r", Error: "timeout", LastCheck: tricky, Flagged: true, ResolvedBy: "ops", Note: tricky, CreatedAt: at, UpdatedAt: at.In(warsaw)}
	full := &PaymentJSON{ID: "pay_1", OrderID: tricky, Status: getpaid.StatusPaid, Amount: "10.00", Currency: "PLN",
		Captured: "10.00", Locked: "0.00", Refunded: "0.00", Advance: "0.00", Backend: "dummy", ExternalID: "ext",
		Description: tricky, ReturnURL: "https://shop.example/o?a=1&b=<2>", IdempotencyKey: tricky,
		Redirect:  &getpaid.Redirect{Method: "POST", URL: "https://pay.example/?x=1&y=2", Fields: map[string]string{"z": "1", "a": tricky, "": "empty", "Ą": "2"}},
		CreatedAt: at, UpdatedAt: at.Add(time.Second).In(warsaw),
		History:    []getpaid.Transition{{From: "", To: "prepared", At: at, Cause: ""}, {From: "prepared", To: "paid", At: at, Cause: tricky}},
		Operations: []*OperationJSON{op, {ID: "op_2", CreatedAt: at, UpdatedAt: at}, nil}, Operation: op}
	h := &Handler{} // one, its buffers reused across the cases
	for _, tc := range []struct {
		name string
		p    *PaymentJSON
	}{
		{"everything", full},
		{"zero", &PaymentJSON{}},
		{"left out when empty", &PaymentJSON{ID: "pay_2", Status: "prepared", CreatedAt: at, UpdatedAt: at}},
		{"redirect without fields", &PaymentJSON{Redirect: &getpaid.Redirect{Method: "GET", URL: "u"}}},
		{"redirect with no fields", &PaymentJSON{Redirect: &getpaid.Redirect{Fields: map[string]string{}}}},
		{"empty history and operations", &PaymentJSON{History: []getpaid.Transition{}, Operations: []*OperationJSON{}}},
		{"time with an odd offset", &PaymentJSON{CreatedAt: at.In(time.FixedZone("", -(9*3600 + 30*60)))}},
		{"monotonic reading", &PaymentJSON{CreatedAt: time.Now()}},
		// encoding/json refuses these: writeJSON leaves them to it, so the
		// answer is what it was before (nothing written).
		{"year past 9999", &PaymentJSON{ID: "pay_3", CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"negative year in history", &PaymentJSON{History: []getpaid.Transition{{At: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}}}},
		{"operation time out of range", &PaymentJSON{Operation: &OperationJSON{UpdatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		{"offset with seconds", &PaymentJSON{UpdatedAt: at.In(time.FixedZone("", 3600+30))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, got := encoderBytes(t, tc.p), writtenBytes(h, tc.p)
			if !bytes.Equal(got, want) {
				t.Errorf("writeJSON wrote\n%s\nencoding/json writes\n%s", got, want)
			}
		})
	}
}

// FuzzPaymentJSONAppend checks the hand-written payment encoding against
// encoding/json for any strings and times.
func FuzzPaymentJSONAppend(f *testing.F) {
	f.Add("pay_1", "order-1", "desc", "k", "v", "cause", int64(1796119200557543716), 0)
	f.Add("\x00\"\\", "\u2028<&>", "\xff\xfe", "\xe2\x82", "é🙂", "\t\n\r\b\f\x7f", int64(0), -34200)
	f.Add("", "", "", "", "", "", int64(-1), 59)
	f.Add("a", "b", "c", "d", "e", "f", int64(1<<63-1), 3600)
	h := &Handler{}
	f.Fuzz(func(t *testing.T, id, order, desc, key, val, cause string, nanos int64, offset int) {
		at := time.Unix(0, nanos).In(time.FixedZone("", offset%(24*3600)))
		p := &PaymentJSON{ID: id, OrderID: order, Status: getpaid.Status(cause), Amount: val, Currency: key,
			Backend: id, ExternalID: key, Description: desc, ReturnURL: val,
			Redirect:  &getpaid.Redirect{Method: key, URL: val, Fields: map[string]string{key: val, val: key, desc: cause}},
			CreatedAt: at, UpdatedAt: at.Add(time.Duration(offset)),
			History: []getpaid.Transition{{From: getpaid.Status(order), To: getpaid.Status(desc), At: at, Cause: cause}},
			Operations: []*OperationJSON{{ID: id, PaymentID: order, IdempotencyKey: key, Error: desc, LastCheck: val, Note: cause,
				ResolvedBy: val, Flagged: offset%2 == 0, CreatedAt: at, UpdatedAt: at}}}
		if want, got := encoderBytes(t, p), writtenBytes(h, p); !bytes.Equal(got, want) {
			t.Errorf("writeJSON wrote\n%q\nencoding/json writes\n%q", got, want)
		}
	})
}

// BenchmarkWritePaymentJSON compares writePayment with writeJSON's
// encoding/json, for a payment as GET /api/v1/payments/{id} shows it
// after a paid callback.
func BenchmarkWritePaymentJSON(b *testing.B) {
	at := time.Date(2026, 12, 2, 10, 19, 6, 557543716, time.UTC)
	p := &PaymentJSON{ID: "pay_06h3cgyvqp7be3se48gg6xj3e0", OrderID: "lg-1234-5678", Status: getpaid.StatusPaid, Amount: "10.00",
		Currency: "PLN", Captured: "10.00", Locked: "0.00", Refunded: "0.00", Advance: "0.00", Backend: "dummy",
		ExternalID: "dummy-pay_06h3cgyvqp7be3se48gg6xj3e0", Description: "load", ReturnURL: "http://127.0.0.1:1/o",
		Redirect: &getpaid.Redirect{Method: "GET", Fields: map[string]string{},
			URL: "http://127.0.0.1:18080/broker/dummy/pay?amount=10.00&currency=PLN&description=load&failure_url=http%3A%2F%2F127.0.0.1%3A18080%2Ffailure%2Fpay_06h3cgyvqp7be3se48gg6xj3e0&notify_url=http%3A%2F%2F127.0.0.1%3A18080%2Fcallback%2Fdummy&payment_id=pay_06h3cgyvqp7be3se48gg6xj3e0&sig=b5b89bdad3b27e422d5b4321246bc4d2a3408563165a816bfd5fe4f132433dcf&success_url=http%3A%2F%2F127.0.0.1%3A18080%2Fsuccess%2Fpay_06h3cgyvqp7be3se48gg6xj3e0"},
		CreatedAt: at, UpdatedAt: at,
		History:    []getpaid.Transition{{To: "prepared", At: at}, {From: "prepared", To: "paid", At: at, Cause: "callback"}},
		Operations: []*OperationJSON{}}
	h, rec := &Handler{}, httptest.NewRecorder()
	for _, bc := range []struct {
		name  string
		write func()
	}{
		{"hand", func() { h.writePayment(rec, 200, p); rec.Body.Reset() }},
		{"encoding-json", func() { writeJSON(rec, 200, p); rec.Body.Reset() }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.write()
			}
		})
	}
}
