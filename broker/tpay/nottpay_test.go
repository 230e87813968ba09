package tpay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
)

// A 2xx whose body is not Tpay's (a proxy's 200 page, empty, cut, {}
// without result "success", which every Tpay OpenAPI answer carries) is no
// word either way: a change (create, cancel, refund) is in doubt (Happened,
// retryable), a read a retryable error saying the answer was unreadable,
// never a refusal nor a success.
func TestAnswerThatIsNotTpaysIsInDoubt(t *testing.T) {
	t.Parallel()
	bodies := map[string]string{
		"html":  "<html><body>Maintenance</body></html>",
		"empty": "",
		"cut":   `{"result":"succ`,
		"{}":    `{}`,
	}
	calls := map[string]struct {
		changes bool
		do      func(b *tpay.Broker, p *getpaid.Payment) error
	}{
		"create": {true, func(b *tpay.Broker, p *getpaid.Payment) error {
			_, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
			return err
		}},
		"cancel": {true, func(b *tpay.Broker, p *getpaid.Payment) error {
			_, err := b.Cancel(context.Background(), &getpaid.CancelRequest{Payment: p, OperationID: "op_1"})
			return err
		}},
		"status": {false, func(b *tpay.Broker, p *getpaid.Payment) error {
			_, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
			return err
		}},
	}
	for bname, body := range bodies {
		for cname, c := range calls {
			t.Run(cname+" "+bname, func(t *testing.T) {
				t.Parallel()
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/oauth/auth" {
						_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":7200}`))
						return
					}
					_, _ = w.Write([]byte(body))
				}))
				t.Cleanup(srv.Close)
				b, err := tpay.New(tpay.Config{ClientID: "id", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "code", APIURL: srv.URL})
				if err != nil {
					t.Fatal(err)
				}
				if err := b.Provision(context.Background(), getpaid.NewEnv("tpay", "https://shop.example", nil)); err != nil {
					t.Fatal(err)
				}
				p := &getpaid.Payment{ID: "pay_1", ExternalID: "ta_1", Amount: getpaid.MustParseMoney("10.00", "PLN"),
					Buyer: getpaid.Buyer{Email: "a@b.pl", FirstName: "A", LastName: "B"}}
				err = c.do(b, p)
				var be *getpaid.BrokerError
				if !errors.As(err, &be) || !be.Retryable || be.Happened != c.changes || !strings.Contains(err.Error(), "not Tpay's") {
					t.Fatalf("err = %v (%#v); want retryable, happened %v, saying the answer is not Tpay's", err, be, c.changes)
				}
			})
		}
	}
}

// An OAuth token answered 200 with a body that is not Tpay's (a proxy's
// page, empty, cut, {}) is a retryable error saying so, not a refusal.
func TestTokenAnswerThatIsNotTpaysIsUnreadable(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"<html><body>Maintenance</body></html>", "", `{"access_tok`, `{}`} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(body))
			}))
			t.Cleanup(srv.Close)
			b, err := tpay.New(tpay.Config{ClientID: "id", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "code", APIURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: "pay_1", ExternalID: "ta_1", Amount: getpaid.MustParseMoney("10.00", "PLN")}
			_, err = b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || be.Happened || !be.Retryable || !strings.Contains(err.Error(), "not Tpay's") {
				t.Fatalf("err = %v (%#v), want a retryable error saying the answer is not Tpay's", err, be)
			}
		})
	}
}
