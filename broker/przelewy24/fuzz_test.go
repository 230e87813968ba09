package przelewy24

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// fuzzBroker matches the seeds in testdata/fuzz (merchant 11111, crc testCRC).
func fuzzBroker(f *testing.F) *Broker {
	b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "k"})
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// checkParse asserts what ParseCallback promises for any input: no panic,
// errors are signature or malformed errors, results are well formed.
func checkParse(t *testing.T, b *Broker, req *getpaid.CallbackRequest) {
	o, err := b.ParseCallback(context.Background(), req)
	if err != nil {
		if !errors.Is(err, getpaid.ErrSignatureInvalid) && !errors.Is(err, getpaid.ErrMalformedCallback) {
			t.Fatalf("unclassified error: %v", err)
		}
		return
	}
	switch o.Kind {
	case getpaid.KindCaptured, getpaid.KindAdvance, getpaid.KindRefunded, getpaid.KindRefundFailed:
	default:
		t.Fatalf("unexpected kind %s", o.Kind)
	}
	if o.PaymentID == "" || o.EventID == "" || o.ExternalID == "" || o.Amount.Minor < 0 || !getpaid.KnownCurrency(o.Amount.Currency) {
		t.Fatalf("ill-formed observation %+v", o)
	}
	again, err := b.ParseCallback(context.Background(), req)
	if err != nil || *again != *o {
		t.Fatalf("not deterministic: %+v %v", again, err)
	}
}

func FuzzParseCallbackJSON(f *testing.F) {
	b := fuzzBroker(f)
	n := vectorNotification()
	f.Add([]byte(notificationJSON(n, n.sign(testCRC))))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkParse(t, b, &getpaid.CallbackRequest{Method: http.MethodPost,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: body})
	})
}

func FuzzParseCallbackForm(f *testing.F) {
	b := fuzzBroker(f)
	n := vectorNotification()
	f.Add(notificationForm(n, n.sign(testCRC)))
	f.Fuzz(func(t *testing.T, body string) {
		checkParse(t, b, &getpaid.CallbackRequest{Method: http.MethodPost,
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: []byte(body)})
	})
}
