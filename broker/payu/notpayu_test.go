package payu_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

// A capture, release or cancel answered 2xx with a body that is not PayU's
// (a proxy's maintenance page, an empty or cut body) is no word from PayU
// that it acted: the operation is in doubt (Happened, Retryable), never
// recorded as done. Before, any 2xx counted as done, so a proxy's 200 page
// made getpaid record a capture PayU never made (the payment paid, the
// money still held).
func TestMutatingAnswerThatIsNotPayUsIsInDoubt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bodies := map[string]string{
		"html page": "<html><body>maintenance</body></html>",
		"empty":     "",
		"cut json":  `{"status":{"statusCo`,
		"no status": `{}`,
	}
	for name, body := range bodies {
		for _, action := range []string{"capture", "release", "cancel"} {
			t.Run(name+"/"+action, func(t *testing.T) {
				t.Parallel()
				var e *env
				var fake atomic.Bool
				front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if fake.Load() && r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v2_1/orders/") {
						w.Header().Set("Content-Type", "text/html")
						w.WriteHeader(http.StatusOK)
						_, _ = w.Write([]byte(body))
						return
					}
					e.sim.Handler().ServeHTTP(w, r)
				}))
				t.Cleanup(front.Close)
				e = newEnv(t, payutest.Config{}, func(c *payu.Config) { c.APIURL = front.URL })
				p := e.payment("10.00", "PLN")
				pr := e.prepare(t, p)
				outcome := payutest.OutcomePreAuth
				if action == "cancel" {
					outcome = ""
				}
				if outcome != "" {
					if err := e.sim.Pay(ctx, pr.Redirect, outcome); err != nil {
						t.Fatal(err)
					}
					e.next(t, p)
				}
				fake.Store(true)
				var err error
				switch action {
				case "capture":
					_, err = e.b.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: p.Amount, OperationID: "op_c"})
				case "release":
					_, err = e.b.Release(ctx, &getpaid.ReleaseRequest{Payment: p, OperationID: "op_r"})
				case "cancel":
					_, err = e.b.Cancel(ctx, &getpaid.CancelRequest{Payment: p, OperationID: "op_x"})
				}
				var be *getpaid.BrokerError
				if !errors.As(err, &be) || !be.Happened || !be.Retryable {
					t.Fatalf("err = %v, want a retryable BrokerError that may have happened (PayU never said it acted)", err)
				}
			})
		}
	}
}

// Every other PayU call answered 2xx with a body that is not PayU's: a
// create or a refund is in doubt (Happened, retryable: the order or refund
// may exist, and a create is sent again with its idempotency key), never
// "refused"; a status or refund lookup is a retryable error saying the
// answer was not PayU's, not "no orders[0]" nor a refusal.
func TestOtherAnswersThatAreNotPayUsAreUnreadable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bodies := map[string]string{
		"html page": "<html><body>maintenance</body></html>",
		"empty":     "",
		"cut json":  `{"status":{"statusCo`,
		"no status": `{}`,
	}
	for name, body := range bodies {
		for _, action := range []string{"create", "refund", "status", "refund lookup"} {
			t.Run(name+"/"+action, func(t *testing.T) {
				t.Parallel()
				var e *env
				var fake atomic.Bool
				front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if fake.Load() && strings.HasPrefix(r.URL.Path, "/api/v2_1/orders") {
						w.Header().Set("Content-Type", "text/html")
						w.WriteHeader(http.StatusOK)
						_, _ = w.Write([]byte(body))
						return
					}
					e.sim.Handler().ServeHTTP(w, r)
				}))
				t.Cleanup(front.Close)
				e = newEnv(t, payutest.Config{}, func(c *payu.Config) { c.APIURL = front.URL })
				var p *getpaid.Payment
				if action == "create" {
					p = e.payment("10.00", "PLN")
				} else {
					p = e.paidPayment(t, "10.00")
				}
				fake.Store(true)
				var err error
				switch action {
				case "create":
					_, err = e.b.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
				case "refund":
					_, err = e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Amount, OperationID: "op_f"})
				case "status":
					_, err = e.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
				case "refund lookup":
					_, err = e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p,
						Operation: &getpaid.Operation{ID: "op_f", Kind: getpaid.OpRefund, Amount: p.Amount}})
				}
				changes := action == "create" || action == "refund"
				var be *getpaid.BrokerError
				if !errors.As(err, &be) || be.Happened != changes || !be.Retryable || !strings.Contains(err.Error(), "not PayU's") {
					t.Fatalf("err = %v (%#v), want retryable, happened %v, saying the answer is not PayU's", err, be, changes)
				}
			})
		}
	}
}

// An OAuth token answered 200 with a body that is not PayU's (a proxy's
// page, empty, cut, {}) is a retryable error saying so, not a refusal.
func TestTokenAnswerThatIsNotPayUsIsUnreadable(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"<html><body>maintenance</body></html>", "", `{"access_tok`, `{}`} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			err := statusBehindTokenAnswer(t, body)
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || be.Happened || !be.Retryable || !strings.Contains(err.Error(), "not PayU's") {
				t.Fatalf("err = %v (%#v), want a retryable error saying the answer is not PayU's", err, be)
			}
		})
	}
}

// A token answer cut short after its access_token (or otherwise not
// readable) is said without the token: the error is logged, stored with
// an operation and shown in the console, and the token is a bearer
// credential for the POS's API (refunds included) until it expires.
func TestTokenAnswerErrorHidesToken(t *testing.T) {
	t.Parallel()
	const secret = "tok-5f2c1e0b9a8d7c6b"
	for _, body := range []string{`{"access_token":"` + secret + `","token_type":"bea`, `{"access_token":"` + secret + `"`} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			err := statusBehindTokenAnswer(t, body)
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || !be.Retryable {
				t.Fatalf("err = %v, want a retryable *getpaid.BrokerError", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("the error quotes the access token: %q", err)
			}
		})
	}
}

// A refund lookup (GET …/orders/{id}/refunds) answered 404 by something
// that is not PayU (a proxy's or gateway's "Not Found" page, an empty body,
// another service's JSON) says nothing of the refund: it stays in doubt
// (a retryable error, not getpaid.ErrNotFound). Before, any 404 was read as
// "the refund never reached PayU", and the reconciler failed a refund PayU
// was paying out, freeing its amount to be refunded again. Only PayU's own
// 404 (its status object, DATA_NOT_FOUND) is ErrNotFound.
func TestRefundLookup404NotPayUsStaysInDoubt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name, body string
		notFound   bool
	}{
		{"html page", "<html><body><h1>404 Not Found</h1>nginx</body></html>", false},
		{"empty", "", false},
		{"another service's json", `{"error":"not found"}`, false},
		{"PayU's DATA_NOT_FOUND", `{"status":{"statusCode":"DATA_NOT_FOUND","severity":"INFO","statusDesc":"Could not find data for given criteria."}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var e *env
			var fake atomic.Bool
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if fake.Load() && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/refunds") {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(http.StatusNotFound)
					_, _ = w.Write([]byte(tc.body))
					return
				}
				e.sim.Handler().ServeHTTP(w, r)
			}))
			t.Cleanup(front.Close)
			e = newEnv(t, payutest.Config{}, func(c *payu.Config) { c.APIURL = front.URL })
			p := e.paidPayment(t, "10.00")
			if _, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(400), OperationID: "op_r"}); err != nil {
				t.Fatal(err)
			}
			fake.Store(true)
			o, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: refundOp("op_r", p.Money(400))})
			if tc.notFound {
				if !errors.Is(err, getpaid.ErrNotFound) {
					t.Fatalf("%+v, %v; want ErrNotFound", o, err)
				}
				return
			}
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || !be.Retryable || errors.Is(err, getpaid.ErrNotFound) {
				t.Fatalf("%+v, %v; want a retryable BrokerError that is not ErrNotFound (the refund is at PayU)", o, err)
			}
		})
	}
}

// statusBehindTokenAnswer asks PayU for a payment's status where every
// request, the OAuth token's first, is answered 200 with body.
func statusBehindTokenAnswer(t *testing.T, body string) error {
	t.Helper()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(front.Close)
	e := newEnv(t, payutest.Config{}, func(c *payu.Config) { c.APIURL = front.URL })
	p := e.payment("10.00", "PLN")
	p.ExternalID = "ORDER1"
	_, err := e.b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
	return err
}
