package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/memory"
)

// dummyEnv is an engine over a memory store with the dummy broker, whose
// paywall is served so tests can pay as the buyer would.
type dummyEnv struct {
	t     *testing.T
	eng   *engine.Engine
	store getpaid.Store
	reg   *getpaid.Registry
	d     *dummy.Broker
	srv   *httptest.Server
}

// another is a second engine on the env's store and broker, with clock
// now: another process, as one whose broker call still runs in the first
// cannot tell.
func (e *dummyEnv) another(now func() time.Time) *engine.Engine {
	e.t.Helper()
	eng, err := engine.New(engine.Config{Store: e.store, Registry: e.reg, BaseURL: e.srv.URL, Now: now,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = eng.Close() })
	return eng
}

func newDummyEnv(t *testing.T, cfg dummy.Config, ecfg engine.Config, wrap ...func(*dummy.Broker) getpaid.Broker) *dummyEnv {
	t.Helper()
	if cfg.Secret == "" {
		cfg.Secret = "test-secret"
	}
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = []time.Duration{10 * time.Millisecond}
	}
	d, err := dummy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	var b getpaid.Broker = d
	for _, w := range wrap {
		b = w(d)
	}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	if ecfg.Store == nil {
		ecfg.Store = memory.New()
	}
	if ecfg.Logger == nil {
		ecfg.Logger = slog.New(slog.DiscardHandler)
	}
	ecfg.Registry, ecfg.BaseURL = reg, srv.URL
	eng, err := engine.New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	mux.Handle("/broker/dummy/", http.StripPrefix("/broker/dummy", d.Pages()))
	mux.HandleFunc("/callback/dummy", func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		_, err := eng.HandleCallback(r.Context(), "dummy", &getpaid.CallbackRequest{Method: r.Method, Header: r.Header, Body: body})
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	return &dummyEnv{t: t, eng: eng, store: ecfg.Store, reg: reg, d: d, srv: srv}
}

// pay creates a payment of amount PLN and makes the buyer choose outcome on
// the paywall; it waits until the payment reaches want.
func (e *dummyEnv) pay(order, amount, outcome string, want getpaid.Status) *getpaid.Payment {
	e.t.Helper()
	p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: order, Backend: "dummy",
		Amount: getpaid.MustParseMoney(amount, "PLN"), ReturnURL: "https://shop.example/o"})
	if err != nil {
		e.t.Fatal(err)
	}
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	u, err := url.Parse(p.Redirect.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := client.Post(e.srv.URL+"/broker/dummy/choose?"+u.RawQuery+"&outcome="+outcome, "application/x-www-form-urlencoded", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("paywall: %s", resp.Status)
	}
	if want != "" {
		return e.wait(p.ID, func(q *getpaid.Payment) bool { return q.Status == want })
	}
	return p
}

// wait polls the store until cond holds for payment id (5 s at most).
func (e *dummyEnv) wait(id string, cond func(*getpaid.Payment) bool) *getpaid.Payment {
	e.t.Helper()
	var last *getpaid.Payment
	waitFor(e.t, "payment "+id, func() bool {
		p, err := e.store.Payment(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		last = p
		return cond(p)
	})
	return last
}

// waitFor polls cond for up to 30 s (generous: a loaded race run is slow).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	within(t, 30*time.Second, what, cond)
}

// within polls cond for up to d: the wait is itself what the test asserts.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out (%s) waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// money is amount in PLN.
func money(amount string) *getpaid.Money {
	m := getpaid.MustParseMoney(amount, "PLN")
	return &m
}

// callback applies a signed dummy callback.
func (e *dummyEnv) callback(c dummy.Callback) (*getpaid.CallbackResult, error) {
	e.t.Helper()
	body, sig := dummy.EncodeCallback("test-secret", c)
	return e.eng.HandleCallback(context.Background(), "dummy", &getpaid.CallbackRequest{Method: "POST",
		Header: http.Header{dummy.SignatureHeader: {sig}}, Body: body})
}

// clock is a settable clock for the engine, starting now.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// refundLost asks for a refund of p (all of it when amount is nil) with
// the dummy broker set to fault (a timeout before or after it acts), so the
// answer is lost and the operation is left in doubt; the broker works again
// afterwards.
func (e *dummyEnv) refundLost(p *getpaid.Payment, fault string, amount *getpaid.Money) *getpaid.Operation {
	e.t.Helper()
	_ = e.d.SetFault(fault)
	defer func() { _ = e.d.SetFault(dummy.FaultNone) }()
	_, err := e.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k", Amount: amount})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) {
		e.t.Fatalf("refund with a lost answer: %v", err)
	}
	return oe.Op
}
