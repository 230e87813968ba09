package przelewy24

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
)

// receiver is the merchant's notification endpoint in tests: it records each
// request and answers the scripted statuses in turn, then 200.
type receiver struct {
	mu     sync.Mutex
	got    []*getpaid.CallbackRequest
	script []int
	srv    *httptest.Server
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, &getpaid.CallbackRequest{Method: req.Method, Header: req.Header.Clone(),
			Query: req.URL.Query(), Body: body, RemoteIP: "5.252.202.254"})
		code := http.StatusOK
		if len(r.script) > 0 {
			code, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []*getpaid.CallbackRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*getpaid.CallbackRequest(nil), r.got...)
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type env struct {
	sim  *p24test.Server
	b    *Broker
	recv *receiver
}

// newEnv wires a backend to a simulator whose notifications are not sent
// again during a test (the retry schedule's unit is an hour) and a receiver
// answering script.
func newEnv(t *testing.T, script ...int) *env {
	return newEnvWith(t, func(*p24test.Config) {}, script...)
}

func newEnvWith(t *testing.T, edit func(*p24test.Config), script ...int) *env {
	t.Helper()
	cfg := p24test.Config{MerchantID: 11111, CRC: testCRC, APIKey: "secret", RetryUnit: time.Hour, HangTimeout: 5 * time.Second}
	edit(&cfg)
	sim := p24test.Start(cfg)
	t.Cleanup(sim.Close)
	b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "secret", APIURL: sim.URL(),
		HTTPClient: &http.Client{Timeout: 2 * time.Second}}) // the faults hang past it; a slow race run does not
	if err != nil {
		t.Fatal(err)
	}
	recv := newReceiver(t, script...)
	if err := b.Provision(context.Background(), getpaid.NewEnv("przelewy24", recv.srv.URL, nil)); err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, b: b, recv: recv}
}

func newPayment(minor int64, currency string) *getpaid.Payment {
	return &getpaid.Payment{ID: getpaid.NewID("pay"), Backend: "przelewy24", Status: getpaid.StatusNew,
		Amount: getpaid.Money{Minor: minor, Currency: currency}, Description: "Order 1 / zamówienie ąę",
		Buyer: getpaid.Buyer{Email: "buyer@example.com", FirstName: "Jan", LastName: "Kowalski"}}
}

// prepare registers p and records the result on it.
func (e *env) prepare(t *testing.T, p *getpaid.Payment) *getpaid.Prepared {
	t.Helper()
	prep, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if err := getpaid.MarkPrepared(p, prep.ExternalID, prep.Redirect); err != nil {
		t.Fatal(err)
	}
	return prep
}

// paid takes p through prepare, pay, notification, verify and apply.
func (e *env) paid(t *testing.T, p *getpaid.Payment) {
	t.Helper()
	ctx := context.Background()
	prep := e.prepare(t, p)
	n := len(e.recv.requests())
	if err := e.sim.Pay(ctx, prep.Redirect, p24test.OutcomePaid); err != nil {
		t.Fatalf("Pay: %v", err)
	}
	waitFor(t, "notification", func() bool { return len(e.recv.requests()) > n })
	o, err := e.b.ParseCallback(ctx, e.recv.requests()[n])
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	if err := e.b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: o}); err != nil {
		t.Fatalf("ConfirmCallback: %v", err)
	}
	if _, err := getpaid.Apply(p, o); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}
