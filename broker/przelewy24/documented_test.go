package przelewy24

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// toForm re-encodes a flat JSON notification form-encoded, as Przelewy24
// may post it.
func toForm(t *testing.T, body []byte) string {
	t.Helper()
	f, err := decodeFields(&getpaid.CallbackRequest{Header: http.Header{"Content-Type": {"application/json"}}, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	v := url.Values{}
	for k, s := range f {
		v.Set(k, s)
	}
	return v.Encode()
}

// The transaction notification of the przelewy24-php SDK's tests, for a
// shop whose posId (123) is not its merchantId (12345), checked without the
// simulator, as JSON and form-encoded.
func TestSDKTransactionNotification(t *testing.T) {
	t.Parallel()
	body := fixture(t, "sdk_transaction_notification.json")
	b, err := New(Config{MerchantID: 12345, PosID: 123, CRC: "bar", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	want := getpaid.Observation{PaymentID: "0beec7", ExternalID: "123456789", EventID: "trn:123456789",
		Kind: getpaid.KindCaptured, Amount: getpaid.MustParseMoney("15.00", "PLN"), Full: true, BrokerStatus: "notification",
		PaymentAmount: getpaid.MustParseMoney("15.00", "PLN"), MustConfirm: true}
	for _, req := range []*getpaid.CallbackRequest{
		callback("application/json", string(body)),
		callback("application/x-www-form-urlencoded", toForm(t, body)),
	} {
		o, err := b.ParseCallback(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", req.Header.Get("Content-Type"), err)
		}
		if *o != want {
			t.Fatalf("got  %+v\nwant %+v", *o, want)
		}
	}
	// A backend that takes the shop id for the merchant id refuses it.
	same, _ := New(Config{MerchantID: 12345, CRC: "bar", APIKey: "k"})
	if _, err := same.ParseCallback(context.Background(), callback("application/json", string(body))); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("pos_id defaulted to merchant_id: err = %v, want ErrSignatureInvalid", err)
	}
	other, _ := New(Config{MerchantID: 12345, PosID: 123, CRC: "foo", APIKey: "k"})
	if _, err := other.ParseCallback(context.Background(), callback("application/json", string(body))); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("another CRC: err = %v, want ErrSignatureInvalid", err)
	}
}

// The refund notification of the przelewy24-php SDK's tests.
func TestSDKRefundNotification(t *testing.T) {
	t.Parallel()
	body := fixture(t, "sdk_refund_notification.json")
	b, err := New(Config{MerchantID: 235316, CRC: "c4816521bf32ed54", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := b.ParseCallback(context.Background(), callback("application/json", string(body)))
	if err != nil {
		t.Fatal(err)
	}
	// Its requestId is not one getpaid derives this refundsUuid from, so it
	// names no getpaid operation.
	want := getpaid.Observation{PaymentID: "1e715675-a42b-4d0b-81bb-f7288915be76", ExternalID: "4295430336",
		EventID: "refund:97920952-1d9b-4c90-9238-2b74ae0f48bb:4295430336", Kind: getpaid.KindRefunded,
		Amount: getpaid.MustParseMoney("5.00", "PLN"), BrokerStatus: "refund completed"}
	if *o != want {
		t.Fatalf("got  %+v\nwant %+v", *o, want)
	}
	tampered := strings.Replace(string(body), `"amount":500`, `"amount":5000`, 1)
	if _, err := b.ParseCallback(context.Background(), callback("application/json", tampered)); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("tampered: err = %v", err)
	}
}

// The refund lookup as the przelewy24-php SDK's tests read it, served to
// FetchOperation.
func TestSDKRefundLookup(t *testing.T) {
	t.Parallel()
	body := fixture(t, "sdk_refund_lookup.json")
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		if user, _, _ := r.BasicAuth(); user != "123" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.Copy(w, strings.NewReader(string(body)))
	}))
	defer srv.Close()
	b, err := New(Config{MerchantID: 12345, PosID: 123, CRC: "bar", APIKey: "k", APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p := &getpaid.Payment{ID: "0beec7", ExternalID: "123456789", Amount: getpaid.MustParseMoney("15.00", "PLN")}
	o, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
		Operation: &getpaid.Operation{ID: "ae0b12", Kind: getpaid.OpRefund}})
	if err != nil {
		t.Fatal(err)
	}
	if path != "/api/v1/refund/by/orderId/123456789" || o.Kind != getpaid.KindRefunded || o.Amount != p.Amount ||
		o.OperationID != "ae0b12" || o.EventID != "refund:ae0b12:123456789" {
		t.Fatalf("GET %s -> %+v", path, o)
	}
	if _, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
		Operation: &getpaid.Operation{ID: "op_other", Kind: getpaid.OpRefund}}); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("another refund: err = %v, want ErrNotFound", err)
	}
}
