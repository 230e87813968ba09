package dotpay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
)

// fakeSeller serves pages of operations as the seller API does: pages[i]
// answers page i+1, next links chaining them (or next as given).
func fakeSeller(t *testing.T, pages [][]map[string]any, next func(base string, page int) any) *dotpay.Broker {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "u" || p != "p" || r.URL.Path != "/s2/login/api/v1/operations/" ||
			r.URL.Query().Get("control") != "pay_1" || r.URL.Query().Get("format") != "json" {
			http.Error(w, "unexpected request "+r.URL.String(), http.StatusTeapot)
			return
		}
		page := 1
		fmt.Sscan(r.URL.Query().Get("page"), &page)
		body := map[string]any{"count": 0, "next": next(srv.URL, page), "previous": nil, "results": pages[page-1]}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return newBroker(t, func(c *dotpay.Config) { c.APIURL, c.APIUsername, c.APIPassword = srv.URL, "u", "p" })
}

func op(number, typ, status, control string) map[string]any {
	return map[string]any{"number": number, "type": typ, "status": status, "amount": "10.00", "currency": "PLN",
		"original_amount": "10.00", "original_currency": "PLN", "control": control, "account_id": testShop,
		"related_operation": nil, "payer": map[string]any{"email": "x@example.com"}}
}

func TestFetchStatusFollowsPages(t *testing.T) {
	t.Parallel()
	pages := [][]map[string]any{
		{op("M1000-0001", "payment", "rejected", "pay_1"), op("M1000-0002", "payment", "completed", "pay_10")},
		{op("M1000-0003", "refund", "completed", "pay_1"), op("M1000-0004", "payment", "processing", "pay_1")},
		{op("M1000-0005", "payment", "completed", "pay_1")},
	}
	b := fakeSeller(t, pages, func(base string, page int) any {
		if page < 3 {
			return fmt.Sprintf("%s/s2/login/api/v1/operations/?control=pay_1&format=json&page=%d", base, page+1)
		}
		return nil
	})
	p := &getpaid.Payment{ID: "pay_1", Amount: getpaid.MustParseMoney("10.00", "PLN")}
	o, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind != getpaid.KindCaptured || o.ExternalID != "M1000-0005" || o.EventID != "poll:M1000-0005:completed" || !o.Full ||
		o.Amount != p.Amount {
		t.Fatalf("%+v", o)
	}
}

func TestFetchStatusRefusesForeignNextPage(t *testing.T) {
	t.Parallel()
	b := fakeSeller(t, [][]map[string]any{{}}, func(string, int) any { return "https://attacker.example/s2/login/api/v1/operations/?page=2" })
	_, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: &getpaid.Payment{ID: "pay_1"}})
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "not on the seller API") {
		t.Fatalf("err = %v", err)
	}
}

func TestFetchStatusMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ops  []map[string]any
		want getpaid.Kind
	}{
		{[]map[string]any{}, getpaid.KindNone},
		{[]map[string]any{op("M1", "payment", "new", "pay_1")}, getpaid.KindNone},
		{[]map[string]any{op("M1", "payment", "processing_realization", "pay_1")}, getpaid.KindPending},
		{[]map[string]any{op("M1", "payment", "rejected", "pay_1")}, getpaid.KindFailed},
		{[]map[string]any{op("M1", "payment", "rejected", "pay_1"), op("M2", "payment", "new", "pay_1")}, getpaid.KindNone},
		{[]map[string]any{op("M1", "payment", "completed", "pay_2")}, getpaid.KindNone}, // another payment's
	}
	for i, tc := range tests {
		b := fakeSeller(t, [][]map[string]any{tc.ops}, func(string, int) any { return nil })
		o, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: &getpaid.Payment{ID: "pay_1"}})
		if err != nil || o.Kind != tc.want || o.PaymentID != "pay_1" {
			t.Errorf("%d: %+v %v, want %s", i, o, err, tc.want)
		}
	}
	bad := op("M1", "payment", "completed", "pay_1")
	bad["original_amount"] = "ten"
	b := fakeSeller(t, [][]map[string]any{{bad}}, func(string, int) any { return nil })
	if _, err := b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: &getpaid.Payment{ID: "pay_1"}}); err == nil {
		t.Error("unreadable amount accepted")
	}
}

// A refund whose answer is lost (a timeout, a dropped connection, a 5xx) may
// have been made; a refusal (4xx, 429 included) and a connection never made
// were not.
func TestRefundErrorClassification(t *testing.T) {
	t.Parallel()
	answer := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`{"detail":"no"}`))
		}
	}
	refused := refusedURL(t)
	tests := []struct {
		name                string
		handler             http.HandlerFunc
		url                 string // instead of a server for handler
		retryable, happened bool
	}{
		{"refused", answer(http.StatusBadRequest), "", false, false},
		{"throttled", answer(http.StatusTooManyRequests), "", true, false},
		{"request timeout", answer(http.StatusRequestTimeout), "", true, false},
		{"server error", answer(http.StatusBadGateway), "", true, true},
		{"no answer in time", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // the request is in: the server notices the client leave
			<-r.Context().Done()
		}, "", true, true},
		{"connection dropped", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}, "", true, true},
		{"connection refused", nil, refused, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := tt.url
			if tt.handler != nil {
				srv := httptest.NewServer(tt.handler)
				t.Cleanup(srv.Close)
				target = srv.URL
			}
			b := newBroker(t, func(c *dotpay.Config) {
				c.APIURL, c.APIUsername, c.APIPassword, c.Timeout = target, "u", "p", 200*time.Millisecond
			})
			p := &getpaid.Payment{ID: "pay_1", ExternalID: "M1000-0001", Amount: getpaid.MustParseMoney("10.00", "PLN"), Captured: 1000}
			_, err := b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Amount, OperationID: "op_1"})
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || be.Retryable != tt.retryable || be.Happened != tt.happened {
				t.Fatalf("err = %#v, want retryable %v happened %v", err, tt.retryable, tt.happened)
			}
		})
	}
}

// FetchOperation finds a refund by its control, getpaid's operation id, and
// reports it with the event id and number its URLC has.
func TestFetchOperationMapping(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		status string
		want   getpaid.Kind
		event  string
	}{
		{"completed", getpaid.KindRefunded, "M2:completed"},
		{"rejected", getpaid.KindRefundFailed, "M2:rejected"},
		{"processing", getpaid.KindRefundStarted, "refund-start:op_1"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			results := []map[string]any{op("M1", "payment", "completed", "op_1")} // not a refund
			if r.URL.Query().Get("control") == "op_1" {
				results = append(results, op("M2", "refund", tt.status, "op_1"))
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"next": nil, "results": results})
		}))
		b := newBroker(t, func(c *dotpay.Config) { c.APIURL, c.APIUsername, c.APIPassword = srv.URL, "u", "p" })
		p := &getpaid.Payment{ID: "pay_1", ExternalID: "M1", Amount: getpaid.MustParseMoney("10.00", "PLN")}
		o, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
			Operation: &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, Amount: p.Amount}})
		if err != nil || o.Kind != tt.want || o.EventID != tt.event || o.OperationID != "op_1" || o.Amount != p.Amount ||
			(tt.want != getpaid.KindRefundStarted && o.BrokerRef != "M2") {
			t.Errorf("%s: %+v, %v", tt.status, o, err)
		}
		_, err = b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
			Operation: &getpaid.Operation{ID: "op_2", Kind: getpaid.OpRefund, Amount: p.Amount}})
		if !errors.Is(err, getpaid.ErrNotFound) {
			t.Errorf("a refund Dotpay never made: %v", err)
		}
		srv.Close()
	}
	b := newBroker(t, func(c *dotpay.Config) { c.APIURL, c.APIUsername, c.APIPassword = "http://127.0.0.1:1", "u", "p" })
	if _, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: &getpaid.Payment{ID: "pay_1"},
		Operation: &getpaid.Operation{ID: "op_1", Kind: getpaid.OpCapture}}); !errors.Is(err, getpaid.ErrNotSupported) {
		t.Errorf("a capture: %v", err)
	}
}

// refusedURL is the URL of a port nothing listens on. It is taken on
// 127.0.0.2 where the platform allows it: a port closed on 127.0.0.1 may be
// handed at once to another test's server (httptest listens there), and the
// request would reach it.
func refusedURL(t *testing.T) string {
	t.Helper()
	for _, host := range []string{"127.0.0.2", "127.0.0.1"} {
		l, err := net.Listen("tcp", host+":0")
		if err != nil {
			continue
		}
		addr := l.Addr().String()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		return "http://" + addr
	}
	t.Fatal("no loopback address to listen on")
	return ""
}

// A refund the seller API lists under the operation's control, but only in
// a status Dotpay's SDK does not list, reached Dotpay: its lookup is a
// retryable error saying so, never getpaid.ErrNotFound, which the engine
// takes for a refund never made (failed, its amount refundable again while
// Dotpay may still pay it out). A refund in a known status beside it is
// reported as before.
func TestFetchOperationRefundInUnknownStatus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		statuses []string
		want     getpaid.Kind // "" for an error in doubt
	}{
		{"unknown", []string{"processing_bank"}, ""},
		{"capitalised", []string{"Completed"}, ""},
		{"empty", []string{""}, ""},
		{"unknown beside completed", []string{"processing_bank", "completed"}, getpaid.KindRefunded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				results := []map[string]any{}
				for i, st := range tt.statuses {
					results = append(results, op(fmt.Sprintf("M%d", i+2), "refund", st, "op_1"))
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"next": nil, "results": results})
			}))
			t.Cleanup(srv.Close)
			b := newBroker(t, func(c *dotpay.Config) { c.APIURL, c.APIUsername, c.APIPassword = srv.URL, "u", "p" })
			p := &getpaid.Payment{ID: "pay_1", ExternalID: "M1", Amount: getpaid.MustParseMoney("10.00", "PLN")}
			o, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p,
				Operation: &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, Amount: p.Amount}})
			if tt.want != "" {
				if err != nil || o.Kind != tt.want {
					t.Fatalf("%+v, %v; want %s", o, err, tt.want)
				}
				return
			}
			var be *getpaid.BrokerError
			if errors.Is(err, getpaid.ErrNotFound) || !errors.As(err, &be) || !be.Retryable {
				t.Fatalf("%+v, %v; want a retryable error, the refund in doubt", o, err)
			}
		})
	}
}
