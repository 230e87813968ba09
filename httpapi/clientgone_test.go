package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// gatedBroker's Prepare waits until gate is closed, having said so on in.
type gatedBroker struct {
	*dummy.Broker
	in, gate chan struct{}
}

func (g *gatedBroker) Prepare(ctx context.Context, r *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	g.in <- struct{}{}
	<-g.gate
	return g.Broker.Prepare(ctx, r)
}

// A create whose client went away before it was answered (here while it
// waited for its Idempotency-Key's turn, a first try of it at the broker)
// is answered 499 client_closed_request and logged at info: it was a 500
// "internal error", logged at error level for an operator to look into.
// The first try creates the one payment.
func TestCreateClientGone(t *testing.T) {
	t.Parallel()
	logs := &logLines{}
	d, err := dummy.New(dummy.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	g := &gatedBroker{Broker: d, in: make(chan struct{}, 1), gate: make(chan struct{})}
	e := newEnv(t, envOpts{log: slog.New(logs), extra: []getpaid.Backend{{Name: "gated", Broker: g}}})
	body := `{"order_id":"o1","backend":"gated","amount":"10.00","currency":"PLN"}`
	hdr := map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": "application/json", "Idempotency-Key": "k1"}
	first := make(chan int, 1)
	go func() {
		resp, _ := e.doRaw(http.MethodPost, "/api/v1/payments", body, hdr)
		first <- resp.StatusCode
	}()
	select {
	case <-g.in: // the first try holds the key's turn, at the broker
	case <-time.After(30 * time.Second):
		t.Fatal("the first try never reached the broker")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the retry's client is gone
	r := httptest.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/payments", strings.NewReader(body)).WithContext(ctx)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.srv.Config.Handler.ServeHTTP(w, r)
	close(g.gate)
	if w.Code != 499 || !strings.Contains(w.Body.String(), `"code":"client_closed_request"`) {
		t.Errorf("answered %d %s", w.Code, w.Body)
	}
	if code := <-first; code != http.StatusCreated {
		t.Fatalf("the first try: %d", code)
	}
	if logs.count("internal error") != 0 || logs.count("request ended by its client") != 1 {
		t.Fatalf("logged %d internal errors, %d client-gone lines; want 0 and 1", logs.count("internal error"), logs.count("request ended by its client"))
	}
	page, err := e.store.Payments(context.Background(), getpaid.PaymentFilter{OrderID: "o1", Limit: 10})
	if err != nil || len(page.Payments) != 1 {
		t.Fatalf("stored %d payments (%v), want 1", len(page.Payments), err)
	}
}

// A request whose own deadline passed (a timeout the shop's middleware
// put on it: context.WithTimeout, http.TimeoutHandler) was not ended by its
// client: the wait that ran out is getpaid's to report, logged at error
// level for an operator, never answered 499 client_closed_request and
// logged at info as a client that went away.
func TestCreateTimedOutIsNotClientGone(t *testing.T) {
	t.Parallel()
	logs := &logLines{}
	d, err := dummy.New(dummy.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	g := &gatedBroker{Broker: d, in: make(chan struct{}, 1), gate: make(chan struct{})}
	e := newEnv(t, envOpts{log: slog.New(logs), extra: []getpaid.Backend{{Name: "gated", Broker: g}}})
	body := `{"order_id":"o1","backend":"gated","amount":"10.00","currency":"PLN"}`
	hdr := map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": "application/json", "Idempotency-Key": "k1"}
	first := make(chan int, 1)
	go func() {
		resp, _ := e.doRaw(http.MethodPost, "/api/v1/payments", body, hdr)
		first <- resp.StatusCode
	}()
	select {
	case <-g.in: // the first try holds the key's turn, at the broker
	case <-time.After(30 * time.Second):
		t.Fatal("the first try never reached the broker")
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel() // the retry's deadline has passed: its client still waits
	r := httptest.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/payments", strings.NewReader(body)).WithContext(ctx)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.srv.Config.Handler.ServeHTTP(w, r)
	close(g.gate)
	if code := <-first; code != http.StatusCreated {
		t.Fatalf("the first try: %d", code)
	}
	if w.Code == 499 || strings.Contains(w.Body.String(), "client_closed_request") {
		t.Errorf("answered %d %s; a deadline is not the client going away", w.Code, w.Body)
	}
	if logs.count("request ended by its client") != 0 || logs.count("internal error") != 1 {
		t.Fatalf("logged %d client-gone lines, %d internal errors; want 0 and 1", logs.count("request ended by its client"), logs.count("internal error"))
	}
}
