package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// The body Deliver sends is encoded by hand; it must be json.Marshal's, byte
// for byte, whatever the strings hold (the payload is a public contract, and
// receivers verify the signature over these exact bytes).
func TestAppendJSONIsMarshal(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)
	base := getpaid.Event{ID: "evt_pay_1_v3", Type: getpaid.EventStatusChanged, PaymentID: "pay_1", OrderID: "order-42",
		Backend: "payu_pln", From: getpaid.StatusPrepared, To: getpaid.StatusPaid,
		Amount: getpaid.MustParseMoney("49.99", "PLN"), Captured: getpaid.MustParseMoney("49.99", "PLN"), At: at, Cause: "captured (COMPLETED)"}
	tests := []struct {
		name string
		edit func(*getpaid.Event)
	}{
		{"as is", func(*getpaid.Event) {}},
		{"created: no from, no cause", func(e *getpaid.Event) {
			e.Type, e.ID, e.From, e.Cause = getpaid.EventPaymentCreated, "evt_created_pay_1", "", ""
		}},
		{"html in the order id", func(e *getpaid.Event) { e.OrderID = `<a href="x">&</a>` }},
		{"less than alone", func(e *getpaid.Event) { e.OrderID = "a<b" }},
		{"greater than alone", func(e *getpaid.Event) { e.OrderID = "a>b" }},
		{"ampersand alone", func(e *getpaid.Event) { e.OrderID = "a&b" }},
		{"backslash alone", func(e *getpaid.Event) { e.Cause = `a\b` }},
		{"quotes and backslashes", func(e *getpaid.Event) { e.Cause = `say "no" \ again` }},
		{"control characters", func(e *getpaid.Event) { e.OrderID = "a\x00b\tc\nd\x7f\x1f" }},
		{"not ASCII", func(e *getpaid.Event) { e.OrderID = "zamówienie ✓ \u2028 \u2029" }},
		{"invalid UTF-8", func(e *getpaid.Event) { e.OrderID = "bad \xff\xfe bytes" }},
		{"empty strings", func(e *getpaid.Event) { e.OrderID, e.Backend, e.PaymentID = "", "", "" }},
		{"negative amount", func(e *getpaid.Event) { e.Amount = getpaid.Money{Minor: -5, Currency: "PLN"} }},
		{"another zone, whole seconds", func(e *getpaid.Event) { e.At = time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)) }},
		{"year 9999", func(e *getpaid.Event) { e.At = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) }},
		{"year 0", func(e *getpaid.Event) { e.At = time.Date(0, 1, 1, 0, 0, 0, 1, time.UTC) }},
		{"zero time", func(e *getpaid.Event) { e.At = time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := base
			tt.edit(&ev)
			p := NewPayload(ev)
			want, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := p.appendJSON([]byte("prefix"))
			if !ok {
				t.Fatal("appendJSON declined a payload json.Marshal encodes")
			}
			if string(got) != "prefix"+string(want) {
				t.Fatalf("appendJSON:\n%s\njson.Marshal:\n%s", got[len("prefix"):], want)
			}
		})
	}
}

// A timestamp json.Marshal refuses is left to it, for its error.
func TestAppendJSONDeclinesWhatMarshalRefuses(t *testing.T) {
	t.Parallel()
	for _, y := range []int{-1, 10000} {
		p := Payload{Timestamp: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)}
		if _, err := json.Marshal(p); err == nil {
			t.Fatalf("year %d: json.Marshal took it", y)
		}
		if _, ok := p.appendJSON(nil); ok {
			t.Errorf("year %d: appendJSON encoded what json.Marshal refuses", y)
		}
	}
}

func FuzzAppendJSONIsMarshal(f *testing.F) {
	f.Add("order-42", "captured", int64(1700000000), int64(3))
	f.Add("<&>\"\\\x00é\xff\u2028", "", int64(-62135596800), int64(-1))
	f.Fuzz(func(t *testing.T, order, cause string, sec, version int64) {
		p := Payload{Type: getpaid.EventStatusChanged, Timestamp: time.Unix(sec, sec%1e9).UTC(),
			Data: PayloadData{EventID: order + cause, OrderID: order, Cause: cause, From: getpaid.Status(cause), Version: version}}
		want, err := json.Marshal(p)
		got, ok := p.appendJSON(nil)
		if ok != (err == nil) {
			t.Fatalf("appendJSON ok=%v, json.Marshal err=%v", ok, err)
		}
		if ok && string(got) != string(want) {
			t.Fatalf("appendJSON:\n%s\njson.Marshal:\n%s", got, want)
		}
	})
}

// A signer keeps its keyed HMACs for the next messages: each signature is
// still the HMAC of its own message alone, with every key of a rotation.
func TestSignersReusedSignEachMessageAlone(t *testing.T) {
	t.Parallel()
	keys := [][]byte{[]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")}
	signers := []*signer{newSigner(keys[0]), newSigner(keys[1])}
	ref := func(key []byte, msg string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	for i, msg := range []struct{ id, body string }{{"evt_1", `{"a":1}`}, {"evt_2", `{}`}, {"evt_1", `{"a":1}`}, {"evt_3", ""}} {
		ts := int64(1700000000 + i)
		var b strings.Builder
		writeSignatures(&b, signers, msg.id, strconv.AppendInt(nil, ts, 10), []byte(msg.body))
		signed := msg.id + "." + strconv.FormatInt(ts, 10) + "." + msg.body
		want := ref(keys[0], signed) + " " + ref(keys[1], signed)
		if b.String() != want {
			t.Fatalf("message %d: %s\nwant %s", i+1, b.String(), want)
		}
		if got := SignatureHeader(keys, msg.id, ts, []byte(msg.body)); got != want {
			t.Fatalf("SignatureHeader, message %d: %s\nwant %s", i+1, got, want)
		}
	}
}
