package tpay_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
)

// answerTpay is a fake Tpay OpenAPI that answers a refund with answer: its
// OAuth answer is token (with or without token_type), the transaction
// TR-1 is paid 100.00 PLN, its refund list is list (no refund yet when
// empty).
type answerTpay struct{ token, answer, list string }

func (f *answerTpay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/oauth/auth" {
		_, _ = w.Write([]byte(f.token))
		return
	}
	if r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /transactions/ta_1":
		_, _ = w.Write([]byte(`{"result":"success","transactionId":"ta_1","title":"TR-1","status":"correct","amount":100.00,"currency":"PLN","hiddenDescription":"pay_1","payments":{"status":"correct","amountPaid":100.00}}`))
	case "GET /transactions/ta_1/refunds":
		list := f.list
		if list == "" {
			list = `{"result":"success","refunds":[]}`
		}
		_, _ = w.Write([]byte(list))
	case "POST /transactions/ta_1/refunds":
		_, _ = w.Write([]byte(f.answer))
	default:
		http.NotFound(w, r)
	}
}

// answerBroker is the Tpay backend on the fake at url, provisioned.
func answerBroker(t *testing.T, url string) *tpay.Broker {
	t.Helper()
	b, err := tpay.New(tpay.Config{ClientID: "cid", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "demo", APIURL: url})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Provision(context.Background(), getpaid.Env{Backend: "tpay", BaseURL: "https://shop.example/gp"}); err != nil {
		t.Fatal(err)
	}
	return b
}

// paid100 is the fake's transaction ta_1 as getpaid has it: paid 100.00 PLN.
func paid100() *getpaid.Payment {
	return &getpaid.Payment{ID: "pay_1", Backend: "tpay", ExternalID: "ta_1", Status: getpaid.StatusPaid,
		Amount: getpaid.Money{Minor: 10000, Currency: "PLN"}, Captured: 10000}
}

// Tpay's answer to a refund is in no verified source: it may name the
// refund, or be the transaction after it (the shop plugins check only
// result "success" and status "correct"). A transaction's amount is not the
// refund's: a partial refund answered so was taken for a refund of the
// wrong amount and left in doubt. A token answer without token_type (a
// Bearer token by default) was refused, so nothing could be called.
func TestRefundAnswerShapes(t *testing.T) {
	t.Parallel()
	const bearer = `{"access_token":"tok","token_type":"Bearer","expires_in":7200}`
	tests := []struct {
		name, token, answer string
		amount              int64
		want                getpaid.Kind // KindNone: an error that says the refund may have happened
	}{
		{"the refund, partial", bearer, `{"result":"success","refundId":"rf_1","amount":30.00,"status":"correct"}`, 3000, getpaid.KindRefunded},
		{"the transaction, partial", bearer, `{"result":"success","transactionId":"ta_1","title":"TR-1","status":"correct","amount":100.00,"currency":"PLN"}`, 3000, getpaid.KindRefunded},
		{"the transaction as Tpay describes it (date an object)", bearer, `{"result":"success","requestId":"r1","transactionId":"ta_1","title":"TR-1","posId":"ps_1","status":"correct",` +
			`"date":{"creation":"2026-12-02 08:00:00","realization":"2026-12-02 08:01:00"},"amount":100.00,"currency":"PLN",` +
			`"hiddenDescription":"pay_1","payments":{"status":"correct","method":"pay_by_link","amountPaid":100.00,"date":{"realization":"2026-12-02 08:01:00"}}}`,
			3000, getpaid.KindRefunded},
		{"the transaction, refunded in full", bearer, `{"result":"success","transactionId":"ta_1","title":"TR-1","status":"refund","amount":100.00,"currency":"PLN"}`, 10000, getpaid.KindRefunded},
		{"result and status only", bearer, `{"result":"success","status":"correct"}`, 3000, getpaid.KindRefunded},
		{"token without token_type", `{"access_token":"tok","expires_in":7200}`, `{"result":"success","status":"correct"}`, 3000, getpaid.KindRefunded},
		{"the refund, another amount", bearer, `{"result":"success","refundId":"rf_1","amount":20.00,"status":"correct"}`, 3000, getpaid.KindNone},
		{"the transaction, pending", bearer, `{"result":"success","transactionId":"ta_1","title":"TR-1","status":"pending","amount":100.00}`, 3000, getpaid.KindNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(&answerTpay{token: tc.token, answer: tc.answer})
			defer srv.Close()
			b, p := answerBroker(t, srv.URL), paid100()
			o, err := b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Money(tc.amount), OperationID: "op_1"})
			if tc.want == getpaid.KindNone {
				var be *getpaid.BrokerError
				if !errors.As(err, &be) || !be.Happened {
					t.Fatalf("Refund = %+v, %v; want an error saying it may have happened (in doubt)", o, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Refund: %v", err)
			}
			if o.Kind != tc.want || o.Amount != p.Money(tc.amount) || o.EventID != "TR-1:CHARGEBACK:"+p.Money(tc.amount).Decimal() {
				t.Fatalf("Refund = %+v; want %s of %s with the CHARGEBACK's event id", o, tc.want, p.Money(tc.amount))
			}
		})
	}
}

// watchedFake is the fake answering refunds done, and a channel told of
// each connection to it closed.
func watchedFake(t *testing.T) (*httptest.Server, <-chan struct{}) {
	t.Helper()
	closed := make(chan struct{}, 16)
	srv := httptest.NewUnstartedServer(&answerTpay{token: `{"access_token":"tok","token_type":"Bearer","expires_in":7200}`,
		answer: `{"result":"success","refundId":"rf_1","amount":30.00,"status":"correct"}`})
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, closed
}

// A backend's Close closes the connections it keeps open to the broker
// (each backend has a pool of its own): a registry closed, or a backend
// dropped by an application that makes them per tenant, leaves none
// behind until the idle timeout.
func TestCloseClosesConnections(t *testing.T) {
	t.Parallel()
	srv, closed := watchedFake(t)
	b, p := answerBroker(t, srv.URL), paid100()
	if _, err := b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Money(3000), OperationID: "op_1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
		t.Fatal("a connection closed before Close")
	default:
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection to the broker is still open after Close")
	}
}

// tracingDefault is an application's tracing wrapper of the default
// transport, passing CloseIdleConnections on as otelhttp's does.
type tracingDefault struct{ next http.RoundTripper }

func (w tracingDefault) RoundTrip(r *http.Request) (*http.Response, error) {
	return w.next.RoundTrip(r)
}

func (w tracingDefault) CloseIdleConnections() {
	if c, ok := w.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// With http.DefaultTransport replaced, closing one backend (a tenant
// dropped, never used) closed the connections of every other backend and of
// the whole application, all on the shared default. Not parallel: it
// replaces the default for its duration.
func TestCloseLeavesOtherBackendsConnections(t *testing.T) {
	orig := http.DefaultTransport
	http.DefaultTransport = tracingDefault{orig}
	defer func() { http.DefaultTransport = orig }()
	srv, closed := watchedFake(t)
	dropped, inUse, p := answerBroker(t, srv.URL), answerBroker(t, srv.URL), paid100()
	if _, err := inUse.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Money(3000), OperationID: "op_1"}); err != nil {
		t.Fatal(err)
	}
	_ = dropped.Close()
	select {
	case <-closed:
		t.Fatal("closing an unused backend closed the connection of another backend still in use")
	case <-time.After(500 * time.Millisecond):
	}
	_ = inUse.Close()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the backend's own connection is still open after its Close")
	}
}

// A refund list answered with result "success" but no list of refunds
// (neither refunds nor refundsList in it) is no word that a refund is not at Tpay:
// neither Tpay's guide nor its SDK describes such an answer. Read as an
// empty list, it made FetchOperation answer getpaid.ErrNotFound for a
// refund in doubt, on which the reconciler fails it as one that never
// reached Tpay and frees its amount to be refunded again although Tpay may
// have paid it out; and RefundEventIDs answer none, on which a CHARGEBACK
// of a second refund of one amount is taken for a repeat of the first. It
// is now a retryable error saying the answer is not Tpay's; an empty list
// ([] or null: no source says how Tpay writes one) is still "no such
// refund".
func TestRefundListWithoutListIsUnreadable(t *testing.T) {
	t.Parallel()
	const bearer = `{"access_token":"tok","token_type":"Bearer","expires_in":7200}`
	tests := []struct {
		name, list string
		notFound   bool
	}{
		{"no list", `{"result":"success","requestId":"r1"}`, false},
		{"only a transaction's fields", `{"result":"success","requestId":"r1","transactionId":"ta_1","title":"TR-1","status":"correct","amount":100.00}`, false},
		{"empty list", `{"result":"success","requestId":"r1","refunds":[]}`, true},
		{"empty refundsList", `{"result":"success","requestId":"r1","refundsList":[]}`, true},
		{"list written null", `{"result":"success","requestId":"r1","refunds":null}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(&answerTpay{token: bearer, list: tt.list})
			defer srv.Close()
			b, p := answerBroker(t, srv.URL), paid100()
			thirty := p.Money(3000)
			p.RefundAsked = thirty.Minor // a refund of 30.00 in doubt: its answer was lost
			for _, ref := range []string{"", "rf_1"} {
				_, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
					Operation: &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, Amount: thirty, BrokerRef: ref}})
				if tt.notFound {
					if !errors.Is(err, getpaid.ErrNotFound) {
						t.Fatalf("FetchOperation (refund id %q) = %v; want ErrNotFound", ref, err)
					}
					continue
				}
				var be *getpaid.BrokerError
				if errors.Is(err, getpaid.ErrNotFound) || !errors.As(err, &be) || !be.Retryable || be.Happened || !strings.Contains(err.Error(), "not Tpay's") {
					t.Fatalf("FetchOperation (refund id %q) = %v (%#v); want a retryable error saying the answer is not Tpay's", ref, err, be)
				}
			}
			ids, err := b.RefundEventIDs(context.Background(), p, &getpaid.Observation{Kind: getpaid.KindRefunded, Amount: thirty})
			if !tt.notFound && err == nil {
				t.Fatalf("RefundEventIDs = %q; want an error (the notification refused, Tpay sends it again)", ids)
			}
			if tt.notFound && (err != nil || len(ids) != 0) {
				t.Fatalf("RefundEventIDs = %q, %v; want none", ids, err)
			}
		})
	}
}
