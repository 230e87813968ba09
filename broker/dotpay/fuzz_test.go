package dotpay

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

// The committed seeds (testdata/fuzz) are URLCs of shop 123456 signed with
// PIN fuzzPIN: completed, rejected, refunds, complaints, another currency,
// card fields, an unknown status, and tampered, truncated, repeated and
// malformed variants.
const fuzzPIN = "Xy7pQ2mN9vR4tW6z"

// checkObservation asserts what a parsed URLC promises whatever it said.
func checkObservation(t *testing.T, o *getpaid.Observation) {
	t.Helper()
	switch o.Kind {
	case getpaid.KindNone, getpaid.KindPending, getpaid.KindFailed:
	case getpaid.KindCaptured:
		if !o.Full || o.ExternalID == "" {
			t.Fatalf("capture without the whole amount or operation number: %+v", o)
		}
	case getpaid.KindRefunded, getpaid.KindRefundFailed:
		if o.Amount.Minor <= 0 && o.Kind == getpaid.KindRefunded {
			t.Fatalf("refund of nothing: %+v", o)
		}
		if o.BrokerRef == "" {
			t.Fatalf("refund without its operation number: %+v", o)
		}
	default:
		t.Fatalf("unexpected kind %s", o.Kind)
	}
	// A refund getpaid asked for names its operation, and its payment by
	// the payment's operation number alone.
	if o.OperationID != "" && (o.PaymentID != "" || !isOperationID(o.OperationID)) {
		t.Fatalf("operation %q and payment %q: %+v", o.OperationID, o.PaymentID, o)
	}
	// A status getpaid does not know moves nothing; only a complaint is a
	// refund nobody asked for.
	if o.Unrecognized && o.Kind != getpaid.KindNone {
		t.Fatalf("unrecognized status that moves money: %+v", o)
	}
	if o.Unrequested && (o.Kind != getpaid.KindRefunded || o.OperationID != "") {
		t.Fatalf("unrequested refund that is no refund, or getpaid's: %+v", o)
	}
	if o.EventID == "" || o.Amount.Minor < 0 {
		t.Fatalf("ill-formed observation %+v", o)
	}
	if o.Kind != getpaid.KindNone && !getpaid.KnownCurrency(o.Amount.Currency) {
		t.Fatalf("unknown currency in %+v", o)
	}
}

// FuzzParseCallback: any body is verified and parsed without panicking;
// refusals are signature or malformed errors; what passes is well formed
// and parses the same again.
func FuzzParseCallback(f *testing.F) {
	b, err := New(Config{ShopID: "123456", PIN: fuzzPIN})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := &getpaid.CallbackRequest{Method: http.MethodPost, Body: body}
		o, err := b.ParseCallback(context.Background(), req)
		if err != nil {
			if !errors.Is(err, getpaid.ErrSignatureInvalid) && !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("unclassified error: %v", err)
			}
			if verr := b.VerifyCallback(context.Background(), req); errors.Is(err, getpaid.ErrSignatureInvalid) && verr == nil {
				t.Fatalf("VerifyCallback passed a body ParseCallback called forged: %v", err)
			}
			return
		}
		checkObservation(t, o)
		if b.VerifyCallback(context.Background(), req) != nil {
			t.Fatal("VerifyCallback refused a body ParseCallback accepted")
		}
		again, err := b.ParseCallback(context.Background(), req)
		if err != nil || *again != *o {
			t.Fatalf("not deterministic: %+v %v", again, err)
		}
	})
}

// FuzzParseNotification reaches the field mapping without a signature:
// any decoded body maps to a well-formed observation or a malformed error.
func FuzzParseNotification(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		fields, err := decodeURLC(body, nil)
		if err != nil {
			if !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		o, err := ParseNotification(fields)
		if err != nil {
			if !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		checkObservation(t, o)
	})
}

// FuzzParseAmount: an accepted amount is never negative and formats back
// to a string that parses to the same money.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"123.45", "0.00", "007.5", "100.00", "1.005", "-1.00", "1e3", "99999999999999.99"} {
		f.Add(s, "PLN")
	}
	f.Add("1500.00", "JPY")
	f.Add("1500.50", "JPY")
	f.Add("1.000", "KWD")
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, err := ParseAmount(s, currency)
		if err != nil {
			return
		}
		back, err := FormatAmount(m)
		if err != nil || m.Minor < 0 {
			t.Fatalf("%q %s -> %v -> %q, %v", s, currency, m, back, err)
		}
		if again, err := ParseAmount(back, currency); err != nil || again != m {
			t.Fatalf("round trip %q -> %v, %v", back, again, err)
		}
	})
}

// FuzzChkNext: the document chk "next" signs is JSON that decodes to the
// parameters plus their paramsList, whatever the values (valid UTF-8).
func FuzzChkNext(f *testing.F) {
	f.Add("description", "Zamówienie \"7\" / 😀", "control", "pay_1")
	f.Add("p_info", "<b>&amp;</b>\n\t\x01\x7f", "url", "https://x/y?a=b&c=d")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		if k1 == k2 || k1 == "paramsList" || k2 == "paramsList" || k1 == "chk" || k2 == "chk" {
			return
		}
		for _, s := range []string{k1, v1, k2, v2} {
			if !utf8.ValidString(s) {
				return // PHP refuses to encode it; Prepare never sends it
			}
		}
		params := map[string]string{k1: v1, k2: v2}
		var back map[string]string
		if err := json.Unmarshal(nextJSON(params), &back); err != nil {
			t.Fatalf("%q: %v", nextJSON(params), err)
		}
		if back[k1] != v1 || back[k2] != v2 || len(back) != 3 || back["paramsList"] == "" {
			t.Fatalf("%v -> %v", params, back)
		}
		if len(ChkNext("pin", params)) != 64 || len(ChkDev("pin", params)) != 64 {
			t.Fatal("chk is not 64 hex digits")
		}
	})
}

// FuzzDecodeMultipartURLC: a URLC posted as multipart/form-data is read
// without panicking into the fields a urlencoded one with the same fields
// gives, or refused as malformed. The committed seeds (testdata/fuzz) are a
// whole form, and the same truncated, with a field repeated, with a file
// part, and without its boundary.
func FuzzDecodeMultipartURLC(f *testing.F) {
	f.Fuzz(func(t *testing.T, boundary string, body []byte) {
		h := http.Header{"Content-Type": {mime.FormatMediaType("multipart/form-data", map[string]string{"boundary": boundary})}}
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "multipart/form-data")
		}
		fields, err := decodeURLC(body, h)
		if err != nil {
			if !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		vals := url.Values{}
		for k, v := range fields {
			if k == "" || len(v) > maxFieldLen {
				t.Fatalf("field %q of %d bytes accepted", k, len(v))
			}
			vals.Set(k, v)
		}
		same, err := decodeURLC([]byte(vals.Encode()), nil)
		if err != nil || !maps.Equal(same, fields) {
			t.Fatalf("urlencoded, the same fields read %v (%v), multipart %v", same, err, fields)
		}
	})
}
