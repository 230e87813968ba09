package przelewy24

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A 2xx whose body is not Przelewy24's (a proxy's 200 page, empty, cut, {}
// without the "data" every answer of its REST API carries) is no word
// either way: a change (register, verify, refund) is in doubt (Happened,
// retryable), a read (status, refund lookup) a retryable error saying the
// answer is not Przelewy24's; never "refused".
func TestAnswerThatIsNotPrzelewy24sIsUnreadable(t *testing.T) {
	t.Parallel()
	bodies := map[string]string{
		"html":  "<html><body>Maintenance</body></html>",
		"empty": "",
		"cut":   `{"data":{"tok`,
		"{}":    `{}`,
	}
	pay := func() *getpaid.Payment {
		return &getpaid.Payment{ID: "pay_1", ExternalID: "316", Backend: "przelewy24", Amount: getpaid.MustParseMoney("10.00", "PLN"),
			Captured: 1000, Buyer: getpaid.Buyer{Email: "a@b.pl"}, Description: "Order 1"}
	}
	calls := map[string]struct {
		changes bool
		do      func(b *Broker, p *getpaid.Payment) error
	}{
		"register": {true, func(b *Broker, p *getpaid.Payment) error {
			_, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
			return err
		}},
		"verify": {true, func(b *Broker, p *getpaid.Payment) error {
			return b.ConfirmCallback(context.Background(), &getpaid.ConfirmRequest{Payment: p,
				Observation: &getpaid.Observation{PaymentID: p.ID, ExternalID: "316", Kind: getpaid.KindCaptured, Amount: p.Amount}})
		}},
		"refund": {true, func(b *Broker, p *getpaid.Payment) error {
			_, err := b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Amount, OperationID: "op_1"})
			return err
		}},
		"status": {false, func(b *Broker, p *getpaid.Payment) error {
			_, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
			return err
		}},
		"refund lookup": {false, func(b *Broker, p *getpaid.Payment) error {
			_, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
				Operation: &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, Amount: p.Amount}})
			return err
		}},
	}
	for bname, body := range bodies {
		for cname, c := range calls {
			t.Run(cname+" "+bname, func(t *testing.T) {
				t.Parallel()
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = w.Write([]byte(body))
				}))
				t.Cleanup(srv.Close)
				b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "secret", APIURL: srv.URL})
				if err != nil {
					t.Fatal(err)
				}
				if err := b.Provision(context.Background(), getpaid.NewEnv("przelewy24", "https://shop.example", nil)); err != nil {
					t.Fatal(err)
				}
				err = c.do(b, pay())
				var be *getpaid.BrokerError
				if !errors.As(err, &be) || !be.Retryable || be.Happened != c.changes || !strings.Contains(err.Error(), "not Przelewy24's") {
					t.Fatalf("err = %v (%#v); want retryable, happened %v, saying the answer is not Przelewy24's", err, be, c.changes)
				}
			})
		}
	}
}

// A refund lookup answered with something that is not Przelewy24's is no
// word that the refund is not at Przelewy24: a retryable error, never
// getpaid.ErrNotFound, on which the reconciler fails a refund in doubt as
// one that never reached Przelewy24 (its amount then refundable again while
// Przelewy24 may pay it out). Such are a 200 with data but no list of
// refunds, and a 404 that is not Przelewy24's (a proxy's or gateway's "Not
// Found" page, an empty body, JSON without Przelewy24's "error"). A list
// without the refund, and Przelewy24's own 404 ({"error":…,"code":404}),
// are ErrNotFound.
func TestRefundLookupNotPrzelewy24sIsUnreadable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		code     int
		body     string
		notFound bool
	}{
		{"empty data", 200, `{"data":{}}`, false},
		{"null list", 200, `{"data":{"orderId":316,"refunds":null}}`, false},
		{"no list", 200, `{"data":{"orderId":316,"sessionId":"pay_1","amount":1000,"currency":"PLN"},"responseCode":0}`, false},
		{"empty list", 200, `{"data":{"orderId":316,"sessionId":"pay_1","amount":1000,"currency":"PLN","refunds":[]},"responseCode":0}`, true},
		{"404 html page", 404, `<html><body><h1>404 Not Found</h1>nginx</body></html>`, false},
		{"404 empty", 404, ``, false},
		{"404 another service's json", 404, `{"message":"no route"}`, false},
		{"Przelewy24's 404", 404, `{"error":"Refund with given Order Id not found","code":404}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.code)
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "secret", APIURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: "pay_1", ExternalID: "316", Backend: "przelewy24", Amount: getpaid.MustParseMoney("10.00", "PLN"), Captured: 1000}
			_, err = b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
				Operation: &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, Amount: p.Amount}})
			if tt.notFound {
				if !errors.Is(err, getpaid.ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
				return
			}
			var be *getpaid.BrokerError
			if errors.Is(err, getpaid.ErrNotFound) || !errors.As(err, &be) || !be.Retryable || be.Happened || !strings.Contains(err.Error(), "not Przelewy24's") {
				t.Fatalf("err = %v (%#v); want a retryable error saying the answer is not Przelewy24's", err, be)
			}
		})
	}
}
