package dotpay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
)

// A refund answered 2xx with a body that is not the seller API's (a proxy's
// 200 page, empty, cut, an object without its detail) is no word that
// Dotpay took the refund, nor that it did not: when the lookup by control
// finds no refund it is in doubt (Happened, retryable), never "refund
// started". The lookup finding the refund settles it.
func TestRefundAnswerThatIsNotDotpaysIsInDoubt(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, body string
		listed     bool // the lookup by control finds the refund
	}{
		{"html", "<html><body>Maintenance</body></html>", false},
		{"empty", "", false},
		{"cut", `{"detail":"o`, false},
		{"empty object", `{}`, false},
		{"html, refund listed", "<html></html>", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					_, _ = w.Write([]byte(tt.body))
					return
				}
				results := `[]`
				if tt.listed {
					results = `[{"number":"M2","type":"refund","status":"processing","amount":"10.00","currency":"PLN","control":"op_1"}]`
				}
				_, _ = w.Write([]byte(`{"next":null,"results":` + results + `}`))
			}))
			t.Cleanup(srv.Close)
			b := newBroker(t, func(c *dotpay.Config) { c.APIURL, c.APIUsername, c.APIPassword = srv.URL, "u", "p" })
			p := &getpaid.Payment{ID: "pay_1", ExternalID: "M1000-0001", Amount: getpaid.MustParseMoney("10.00", "PLN"), Captured: 1000}
			o, err := b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Amount, OperationID: "op_1"})
			if tt.listed {
				if err != nil || o.Kind != getpaid.KindRefundStarted {
					t.Fatalf("listed refund: %+v, %v", o, err)
				}
				return
			}
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || !be.Happened || !be.Retryable || !strings.Contains(err.Error(), "not the seller API's") {
				t.Fatalf("got %+v, %v; want a retryable error in doubt", o, err)
			}
		})
	}
}

// A status poll or refund lookup answered 2xx with a body that is not the
// seller API's (a page, empty, cut, {} without its results, results null
// rather than a list) is a retryable error saying so, never "no payment
// operation" nor a refusal, and never "no such refund" (ErrNotFound), which
// would let the engine take a refund in doubt for one never made.
func TestLookupAnswerThatIsNotDotpaysIsUnreadable(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"<html><body>Maintenance</body></html>", "", `{"next":null,"resu`, `{}`, `{"next":null,"results":null}`} {
		for _, call := range []string{"status", "refund lookup"} {
			t.Run(call+" "+body, func(t *testing.T) {
				t.Parallel()
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = w.Write([]byte(body))
				}))
				t.Cleanup(srv.Close)
				b := newBroker(t, func(c *dotpay.Config) { c.APIURL, c.APIUsername, c.APIPassword = srv.URL, "u", "p" })
				p := &getpaid.Payment{ID: "pay_1", ExternalID: "M1000-0001", Amount: getpaid.MustParseMoney("10.00", "PLN")}
				var err error
				if call == "status" {
					_, err = b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
				} else {
					_, err = b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
						Operation: &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, Amount: p.Amount}})
				}
				var be *getpaid.BrokerError
				if !errors.As(err, &be) || be.Happened || !be.Retryable || !strings.Contains(err.Error(), "not the seller API's") {
					t.Fatalf("err = %v (%#v); want a retryable error saying the answer is not the seller API's", err, be)
				}
			})
		}
	}
}
