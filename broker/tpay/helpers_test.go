package tpay_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
	"github.com/getpaid-go/getpaid/brokertest"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
)

// recorded is one request the simulator received.
type recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// recorder serves a simulator and keeps every request it received.
type recorder struct {
	h    http.Handler
	mu   sync.Mutex
	reqs []recorded
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.Path, req.Header.Clone(), body})
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.h.ServeHTTP(w, req)
}

// requests returns the recorded requests to method and path.
func (r *recorder) requests(method, path string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, q := range r.reqs {
		if q.Method == method && q.Path == path {
			out = append(out, q)
		}
	}
	return out
}

// recordedSim runs a simulator behind a recorder.
func recordedSim(t *testing.T, cfg tpaytest.Config) (*tpaytest.Server, *recorder) {
	t.Helper()
	if cfg.PKI == nil {
		cfg.PKI, _ = pkis(t)
	}
	if cfg.NotifyBackoff == 0 {
		cfg.NotifyBackoff = 5 * time.Millisecond
	}
	sim := tpaytest.New(cfg)
	rec := &recorder{h: sim.Handler()}
	srv := httptest.NewServer(rec)
	sim.SetBaseURL(srv.URL)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return sim, rec
}

// flow is getpaid serving one tpay backend over HTTP.
type flow struct {
	eng   *engine.Engine
	store getpaid.Store
	url   string
	late  *lateHandler // getpaid's handler, which a test may swap
}

type lateHandler struct {
	mu sync.Mutex
	h  http.Handler
}

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	h := l.h
	l.mu.Unlock()
	h.ServeHTTP(w, r)
}

func newFlow(t *testing.T, b *tpay.Broker) *flow {
	t.Helper()
	late := &lateHandler{h: http.NotFoundHandler()}
	srv := httptest.NewServer(late)
	t.Cleanup(srv.Close)
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "tpay", Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	f := &flow{store: memory.New(), url: srv.URL, late: late}
	f.eng, err = engine.New(engine.Config{Store: f.store, Registry: reg, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.eng.Close() })
	h, err := httpapi.New(httpapi.Config{Service: f.eng})
	if err != nil {
		t.Fatal(err)
	}
	late.mu.Lock()
	late.h = h
	late.mu.Unlock()
	return f
}

func (f *flow) pay(t *testing.T, order string, amount getpaid.Money) *getpaid.Payment {
	t.Helper()
	p, err := f.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: order, Backend: "tpay", Amount: amount,
		Description: "Order " + order, Buyer: getpaid.Buyer{Email: "jan@example.com", FirstName: "Jan", LastName: "Kowalski", Language: "pl"},
		ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *flow) wait(t *testing.T, id string, want getpaid.Status) *getpaid.Payment {
	t.Helper()
	return brokertest.WaitStatus(t, f.store, id, want)
}

// quiet waits for the simulator's notifications to settle.
func quiet(t *testing.T, sim *tpaytest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sim.Quiet(ctx); err != nil {
		t.Fatal(err)
	}
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
