package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
	"github.com/getpaid-go/getpaid/sqlite"
)

const (
	apiKey = "test-api-key-0123456789"
	secret = "dummy-secret"
)

// countingBroker counts Prepare calls to prove refused starts reach no broker.
type countingBroker struct {
	*dummy.Broker
	prepares atomic.Int64
}

func (c *countingBroker) Prepare(ctx context.Context, r *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	c.prepares.Add(1)
	return c.Broker.Prepare(ctx, r)
}

func (c *countingBroker) Pages() http.Handler { return c.Broker.Pages() }

type env struct {
	t      *testing.T
	srv    *httptest.Server
	eng    *engine.Engine
	store  getpaid.Store
	dummy  *dummy.Broker
	counts *countingBroker
	orders map[string]*getpaid.Order

	mu     sync.Mutex
	events []getpaid.Event
}

type envOpts struct {
	store   string // "memory" (the default) or "sqlite"
	oneLive bool
	method  string
	// noCallbacks makes the dummy paywall send no callback (pull mode).
	noCallbacks bool
	proxies     []string
	// useStore, when set, is the store instead of a new one of kind store
	// (another env's: two engines on one database).
	useStore getpaid.Store
	// wrapStore, when set, wraps the store the engine uses (to make it fail).
	wrapStore func(getpaid.Store) getpaid.Store
	// extra backends are registered after "dummy" and "yen".
	extra        []getpaid.Backend
	proxyHeader  string
	requireHTTPS bool
	limits       httpapi.Limits
	log          *slog.Logger
	// wrapService, when set, wraps the engine the handler is given (a
	// Service without the engine's optional capabilities).
	wrapService func(getpaid.Service) getpaid.Service
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	e := &env{t: t, store: o.useStore, orders: map[string]*getpaid.Order{}}
	if e.store == nil {
		e.store = openStore(t, o.store)
	}
	var h atomic.Pointer[httpapi.Handler]
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	d, err := dummy.New(dummy.Config{Secret: secret, Method: o.method, NoCallbacks: o.noCallbacks,
		RetryDelays: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	e.dummy = d
	e.counts = &countingBroker{Broker: d}
	yen, err := dummy.New(dummy.Config{Secret: secret, Currencies: []string{"JPY", "KWD"}})
	if err != nil {
		t.Fatal(err)
	}
	if o.wrapStore != nil {
		e.store = o.wrapStore(e.store)
	}
	reg, err := getpaid.NewRegistry(append([]getpaid.Backend{
		{Name: "dummy", Title: "Dummy", Broker: e.counts},
		{Name: "yen", Title: "Yen only", Broker: yen},
	}, o.extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.eng, err = engine.New(engine.Config{Store: e.store, Registry: reg, BaseURL: e.srv.URL, OneLivePaymentPerOrder: o.oneLive,
		Listeners: []engine.Listener{func(ctx context.Context, ev getpaid.Event) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.events = append(e.events, ev)
			return nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.eng.Close() })
	proxies, err := httpapi.ParseProxies(o.proxies)
	if err != nil {
		t.Fatal(err)
	}
	var svc getpaid.Service = e.eng
	if o.wrapService != nil {
		svc = o.wrapService(svc)
	}
	handler, err := httpapi.New(httpapi.Config{Service: svc, APIKeys: []string{apiKey}, TrustedProxies: proxies,
		ProxyHeader: o.proxyHeader, RequireHTTPS: o.requireHTTPS, Limits: o.limits, Logger: o.log,
		Orders: getpaid.OrderSourceFunc(func(ctx context.Context, id string) (*getpaid.Order, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			if o, ok := e.orders[id]; ok {
				return o, nil
			}
			return nil, getpaid.ErrNotFound
		})})
	if err != nil {
		t.Fatal(err)
	}
	h.Store(handler)
	return e
}

// statusEvents counts the status events to `to` the listener got for a
// payment, once every delivery of the payment's events is finished.
// storeKinds are the stores every acceptance test runs on: PostgreSQL too
// when the test database is set (see pgtest).
var storeKinds = func() []string {
	if os.Getenv(pgtest.EnvDSN) != "" {
		return []string{"memory", "sqlite", "postgres"}
	}
	return []string{"memory", "sqlite"}
}()

// onEachStore runs test once on each store, as parallel subtests named
// after the store.
func onEachStore(t *testing.T, test func(t *testing.T, store string)) {
	t.Helper()
	for _, s := range storeKinds {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			test(t, s)
		})
	}
}

// openStore opens a fresh store of kind, closed when the test ends.
func openStore(t *testing.T, kind string) getpaid.Store {
	t.Helper()
	var s getpaid.Store
	switch kind {
	case "", "memory":
		s = memory.New()
	case "sqlite":
		var err error
		s, err = sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "getpaid.db"), sqlite.Options{Synchronous: "NORMAL"})
		if err != nil {
			t.Fatal(err)
		}
	case "postgres":
		var err error
		s, err = postgres.Open(context.Background(), pgtest.Schema(t), postgres.Options{MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown store %q", kind)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

func (e *env) statusEvents(paymentID string, to getpaid.Status) int {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := e.eng.Deliveries(context.Background(), getpaid.DeliveryFilter{PaymentID: paymentID, State: getpaid.DeliveryPending, Limit: 1})
		if err != nil {
			e.t.Fatal(err)
		}
		if len(page.Deliveries) == 0 {
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("deliveries of %s still pending", paymentID)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.events {
		if ev.Type == getpaid.EventStatusChanged && ev.PaymentID == paymentID && ev.To == to {
			n++
		}
	}
	return n
}

func (e *env) do(method, path string, body any, hdr map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

var auth = map[string]string{"Authorization": "Bearer " + apiKey}

// create makes a payment through the JSON API and returns it.
func (e *env) create(order, amount, currency, backend string) httpapi.PaymentJSON {
	e.t.Helper()
	resp, body := e.do("POST", "/api/v1/payments", map[string]any{
		"order_id": order, "amount": amount, "currency": currency, "backend": backend,
		"description": "Order " + order, "buyer": map[string]string{"email": "buyer@example.com"},
		"return_url": "https://shop.example/orders/" + order,
	}, auth)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var p httpapi.PaymentJSON
	if err := json.Unmarshal(body, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) payment(id string) httpapi.PaymentJSON {
	e.t.Helper()
	resp, body := e.do("GET", "/api/v1/payments/"+id, nil, auth)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("get payment: %d %s", resp.StatusCode, body)
	}
	var p httpapi.PaymentJSON
	if err := json.Unmarshal(body, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// callback posts a dummy callback signed with key ("" = no header).
func (e *env) callback(body []byte, sig string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/callback/dummy", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(dummy.SignatureHeader, sig)
	}
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func signed(c dummy.Callback) ([]byte, string) { return dummy.EncodeCallback(secret, c) }

// byOrder lists an order's payments as stored, newest first.
func (e *env) byOrder(order string) []*getpaid.Payment {
	e.t.Helper()
	page, err := e.store.Payments(context.Background(), getpaid.PaymentFilter{OrderID: order})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Payments
}

// doRaw sends body as it is (not JSON-encoded).
func (e *env) doRaw(method, path, body string, hdr map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(req, hdr)
}

// send sends req with the extra headers hdr and reads the whole answer.
func (e *env) send(req *http.Request, hdr map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

// errorOf reads an API error answer's "error".
func errorOf(t *testing.T, body []byte) struct{ Code, PaymentID string } {
	t.Helper()
	var out errorBody
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("not an error answer: %s", body)
	}
	return struct{ Code, PaymentID string }{out.Error.Code, out.Error.PaymentID}
}
