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

// A refund lookup answered 200 with data but no list of refunds is no word
// that the refund is not at Przelewy24: a retryable error, never
// getpaid.ErrNotFound, on which the reconciler fails a refund in doubt as
// one that never reached Przelewy24 (its amount then refundable again). A
// list without the refund is ErrNotFound.
func TestRefundLookupWithoutListIsUnreadable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		notFound   bool
	}{
		{"empty data", `{"data":{}}`, false},
		{"null list", `{"data":{"orderId":316,"refunds":null}}`, false},
		{"no list", `{"data":{"orderId":316,"sessionId":"pay_1","amount":1000,"currency":"PLN"},"responseCode":0}`, false},
		{"empty list", `{"data":{"orderId":316,"sessionId":"pay_1","amount":1000,"currency":"PLN","refunds":[]},"responseCode":0}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

// A refund lookup answered 404 by something that is not Przelewy24 (a
// proxy's or gateway's "Not Found" page, an empty body, JSON without
// Przelewy24's "error") is no word that the order has no refunds: a
// retryable error, never getpaid.ErrNotFound, on which the reconciler fails
// a refund in doubt (its amount then refundable again while Przelewy24 may
// pay it out). Przelewy24's own 404 ({"error":…,"code":404}) is ErrNotFound.
func TestRefundLookup404NotPrzelewy24sIsUnreadable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		notFound   bool
	}{
		{"html page", `<html><body><h1>404 Not Found</h1>nginx</body></html>`, false},
		{"empty", ``, false},
		{"another service's json", `{"message":"no route"}`, false},
		{"Przelewy24's", `{"error":"Refund with given Order Id not found","code":404}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNotFound)
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
