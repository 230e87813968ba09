package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// flakyStore is a store that can be made unavailable: while down, every
// payment call fails the way a store that cannot be reached does, with
// internal detail in the error chain that must never reach a client.
type flakyStore struct {
	getpaid.Store
	down atomic.Bool
}

func (s *flakyStore) fail(op string) error {
	if !s.down.Load() {
		return nil
	}
	return fmt.Errorf("sqlite: %s: database is locked (5) (SQLITE_BUSY): %w", op, getpaid.ErrUnavailable)
}

func (s *flakyStore) CreatePayment(ctx context.Context, p *getpaid.Payment, o getpaid.CreateOptions) (*getpaid.UpdateResult, error) {
	if err := s.fail("create payment"); err != nil {
		return nil, err
	}
	return s.Store.CreatePayment(ctx, p, o)
}

func (s *flakyStore) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	if err := s.fail("payment"); err != nil {
		return nil, err
	}
	return s.Store.Payment(ctx, id)
}

func (s *flakyStore) PaymentByExternalID(ctx context.Context, backend, ext string) (*getpaid.Payment, error) {
	if err := s.fail("payment by external id"); err != nil {
		return nil, err
	}
	return s.Store.PaymentByExternalID(ctx, backend, ext)
}

func (s *flakyStore) Payments(ctx context.Context, f getpaid.PaymentFilter) (*getpaid.PaymentPage, error) {
	if err := s.fail("list payments"); err != nil {
		return nil, err
	}
	return s.Store.Payments(ctx, f)
}

func (s *flakyStore) History(ctx context.Context, id string) ([]getpaid.Transition, error) {
	if err := s.fail("history"); err != nil {
		return nil, err
	}
	return s.Store.History(ctx, id)
}

func (s *flakyStore) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	if err := s.fail("update payment"); err != nil {
		return nil, err
	}
	return s.Store.UpdatePayment(ctx, id, m)
}

func (s *flakyStore) EventApplied(ctx context.Context, id, key string) (bool, error) {
	if err := s.fail("event applied"); err != nil {
		return false, err
	}
	return s.Store.EventApplied(ctx, id, key)
}

// failingBroker is a broker whose every call fails with err, which carries
// internal detail (addresses, the broker's raw answer).
type failingBroker struct {
	currency string
	err      *getpaid.BrokerError
}

func (b failingBroker) Currencies() []string { return []string{b.currency} }
func (b failingBroker) Prepare(context.Context, *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	return nil, b.err
}
func (b failingBroker) ParseCallback(context.Context, *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	return nil, b.err
}

// internalWords never appear in a message sent to a client: they belong to
// the error chain of getpaid's internals, its stores and brokers.
var internalWords = []string{"sqlite", "engine", "memory:", "SQLITE", "dial tcp", "10.0.0.1", "down:", "refusing:", "dummy:", "statusCode", "%!"}

// Every error answer of the JSON API has a stable code and message, never
// the internal error chain; a store that cannot be reached is 503 with
// Retry-After, never 500.
func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		flaky := new(flakyStore)
		e := newEnv(t, envOpts{store: store,
			wrapStore: func(s getpaid.Store) getpaid.Store { flaky.Store = s; return flaky },
			extra: []getpaid.Backend{
				{Name: "down", Broker: failingBroker{"CHF", &getpaid.BrokerError{Op: "down: create order", Retryable: true,
					Err: errors.New("dial tcp 10.0.0.1:443: connect: connection refused")}}},
				{Name: "refusing", Broker: failingBroker{"CZK", &getpaid.BrokerError{Op: "refusing: create order", Status: 400,
					Err: errors.New(`{"status":{"statusCode":"ERROR_VALUE_INVALID"}}`)}}},
			}})
		p := e.create("o-err", "10.00", "PLN", "dummy")
		paid, paidSig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e-paid", Status: "paid", Amount: "10.00", Currency: "PLN"})
		pay := func(backend, amount, currency string) map[string]any {
			return map[string]any{"order_id": "o-x", "amount": amount, "currency": currency, "backend": backend}
		}
		tests := []struct {
			name      string
			storeDown bool
			method    string
			path      string
			body      any
			callback  bool // post the signed paid callback instead
			status    int
			code      string
			field     string
			message   string
			noKey     bool // send no Idempotency-Key header
		}{
			{name: "unknown payment", method: "GET", path: "/api/v1/payments/pay_nope",
				status: 404, code: "not_found", message: "not found"},
			{name: "unknown action", method: "POST", path: "/api/v1/payments/" + p.ID + "/explode",
				status: 404, code: "not_found", message: "not found"},
			{name: "bad amount", method: "POST", path: "/api/v1/payments", body: pay("dummy", "10.001", "PLN"),
				status: 422, code: "invalid_amount", field: "amount", message: `money "10.001": more than 2 decimal places`},
			{name: "bad action amount", method: "POST", path: "/api/v1/payments/" + p.ID + "/refund", body: map[string]string{"amount": "-1"},
				status: 422, code: "invalid_amount", field: "amount", message: `money "-1": malformed decimal: write the amount without a sign, such as 10.00`},
			{name: "not JSON", method: "POST", path: "/api/v1/payments", body: json.RawMessage(`["not", "an", "object"]`),
				status: 400, code: "bad_request", message: "want a JSON object, not an array"},
			{name: "forbidden transition", method: "POST", path: "/api/v1/payments/" + p.ID + "/capture",
				status: 409, code: "forbidden_transition", message: "transition prepared -> paid forbidden: no funds are held to capture"},
			{name: "broker down", method: "POST", path: "/api/v1/payments", body: pay("down", "10.00", "CHF"),
				status: 503, code: "broker_unavailable", message: "the broker could not be reached or failed; try again later"},
			{name: "broker refused", method: "POST", path: "/api/v1/payments", body: pay("refusing", "10.00", "CZK"),
				status: 502, code: "broker_error", message: "the broker refused the request (HTTP 400)"},
			{name: "store unavailable: read", storeDown: true, method: "GET", path: "/api/v1/payments/" + p.ID,
				status: 503, code: "unavailable", message: "store unavailable"},
			{name: "store unavailable: create", storeDown: true, method: "POST", path: "/api/v1/payments", body: pay("dummy", "1.00", "PLN"),
				status: 503, code: "unavailable", message: "store unavailable"},
			{name: "store unavailable: list", storeDown: true, method: "GET", path: "/api/v1/payments?order_id=o-err",
				status: 503, code: "unavailable", message: "store unavailable"},
			{name: "store unavailable: action", storeDown: true, method: "POST", path: "/api/v1/payments/" + p.ID + "/cancel",
				status: 503, code: "unavailable", message: "store unavailable"},
			{name: "store unavailable: callback", storeDown: true, callback: true,
				status: 503, code: "unavailable", message: "store unavailable"},
			{name: "unknown query parameter", method: "GET", path: "/api/v1/payments?colour=blue",
				status: 422, code: "bad_request", field: "colour", message: "unknown query parameter (known: order_id, status, backend, currency, created_after, created_before, limit, cursor)"},
			{name: "refund without an idempotency key", method: "POST", path: "/api/v1/payments/" + p.ID + "/refund", noKey: true,
				status: 422, code: "bad_request", field: "Idempotency-Key", message: "required: a header with a key unique to this refund, sent again on a retry"},
			{name: "bad cursor", method: "GET", path: "/api/v1/payments?cursor=zzz",
				status: 422, code: "bad_request", field: "cursor", message: "not a cursor of this listing"},
			{name: "limit out of range", method: "GET", path: "/api/v1/payments?limit=501",
				status: 422, code: "bad_request", field: "limit", message: "must be between 1 and 500"},
			{name: "unknown status", method: "GET", path: "/api/v1/payments?status=bogus",
				status: 422, code: "bad_request", field: "status", message: `unknown status "bogus": want new, prepared, charge_started, pre_auth, partially_paid, paid, failed, cancelled, refund_started, partially_refunded or refunded`},
			{name: "unknown currency", method: "GET", path: "/api/v1/payments?currency=pln",
				status: 422, code: "unknown_currency", field: "currency", message: `unknown currency "pln" (ISO 4217 codes are upper case: PLN)`},
			{name: "bad time", method: "GET", path: "/api/v1/payments?created_after=yesterday",
				status: 422, code: "bad_request", field: "created_after", message: "want an RFC 3339 time, e.g. 2026-12-01T10:00:00Z"},
			// The zero time is the filter's "no bound": read as such, this
			// bound, before which nothing was created, listed every payment.
			{name: "created_before the zero time", method: "GET", path: "/api/v1/payments?created_before=0001-01-01T00:00:00Z",
				status: 422, code: "bad_request", field: "created_before", message: "must be after 0001-01-01T00:00:00Z: no payment was created before"},
			{name: "created_before the zero time elsewhere", method: "GET", path: "/api/v1/payments?created_before=0001-01-01T01:00:00%2B01:00",
				status: 422, code: "bad_request", field: "created_before", message: "must be after 0001-01-01T00:00:00Z: no payment was created before"},
			{name: "created_before year 0", method: "GET", path: "/api/v1/payments?created_before=0000-06-01T00:00:00Z",
				status: 422, code: "bad_request", field: "created_before", message: "must be after 0001-01-01T00:00:00Z: no payment was created before"},
		}
		for _, tt := range tests {
			flaky.down.Store(tt.storeDown)
			var (
				resp *http.Response
				body []byte
			)
			if tt.callback {
				resp, body = e.callback(paid, paidSig)
			} else {
				hdr := map[string]string{"Authorization": auth["Authorization"], "Idempotency-Key": getpaid.NewID("key")}
				if tt.noKey {
					hdr = auth
				}
				resp, body = e.do(tt.method, tt.path, tt.body, hdr)
			}
			flaky.down.Store(false)
			var out struct {
				Error struct{ Code, Message, Field string }
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Errorf("%s: body is not a JSON error: %v\n%s", tt.name, err, body)
				continue
			}
			got := out.Error
			if resp.StatusCode != tt.status || got.Code != tt.code || got.Field != tt.field || got.Message != tt.message {
				t.Errorf("%s: %d %+v\nwant %d {Code:%s Message:%s Field:%s}", tt.name, resp.StatusCode, got, tt.status, tt.code, tt.message, tt.field)
			}
			for _, w := range internalWords {
				if strings.Contains(string(body), w) {
					t.Errorf("%s: the answer leaks %q: %s", tt.name, w, body)
				}
			}
			if (resp.StatusCode == http.StatusServiceUnavailable) != (resp.Header.Get("Retry-After") != "") {
				t.Errorf("%s: status %d with Retry-After %q", tt.name, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		}
		// Nothing a refused request did changed the payment.
		if got := e.payment(p.ID); got.Status != getpaid.StatusPrepared || len(got.History) != 1 {
			t.Fatalf("refused requests changed the payment: %+v", got)
		}
		// The callback refused while the store was down is taken once it is back.
		if resp, body := e.callback(paid, paidSig); resp.StatusCode != 200 {
			t.Fatalf("callback after the store came back: %d %s", resp.StatusCode, body)
		}
		if got := e.payment(p.ID); got.Status != getpaid.StatusPaid {
			t.Fatalf("after the store came back: %s", got.Status)
		}
	})
}

// A closed SQLite store is unavailable, not an internal error: 503 with
// Retry-After.
func TestClosedSQLiteStoreIsUnavailable(t *testing.T) {
	t.Parallel()
	var db getpaid.Store
	e := newEnv(t, envOpts{store: "sqlite", wrapStore: func(s getpaid.Store) getpaid.Store { db = s; return s }})
	p := e.create("o-closed", "10.00", "PLN", "dummy")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ method, path string }{
		{"GET", "/api/v1/payments/" + p.ID},
		{"GET", "/api/v1/payments?order_id=o-closed"},
		{"POST", "/api/v1/payments/" + p.ID + "/cancel"},
	} {
		resp, body := e.do(tt.method, tt.path, nil, auth)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			!strings.Contains(string(body), `"code":"unavailable"`) || strings.Contains(string(body), "sqlite") {
			t.Errorf("%s %s on a closed store: %d Retry-After %q %s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	b, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
	if resp, body := e.callback(b, sig); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("callback on a closed store: %d %s (the broker must retry)", resp.StatusCode, body)
	}
}
