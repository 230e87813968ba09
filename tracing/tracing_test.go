package tracing_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/storetest"
	"github.com/getpaid-go/getpaid/tracing"
)

func newTracer() (*tracing.Tracer, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	return tracing.New(tracing.Config{}, sdktrace.WithSyncer(exp)), exp
}

// TestSpans checks one request's spans: the server span continues the
// caller's trace, and the broker and store spans are its children; the log
// line written inside carries the trace id.
func TestSpans(t *testing.T) {
	t.Parallel()
	tr, exp := newTracer()
	st := tr.Store(memory.New())
	var logs bytes.Buffer
	log := slog.New(tracing.LogHandler(slog.NewTextHandler(&logs, nil)))
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, done := tr.BrokerCall(r.Context(), "payu", "refund")
		done(errors.New("broker said no"))
		if _, err := st.Payment(ctx, "pay_missing"); !errors.Is(err, getpaid.ErrNotFound) {
			t.Errorf("Payment through the wrapper: %v", err)
		}
		log.InfoContext(ctx, "inside")
		w.WriteHeader(http.StatusBadGateway)
	}))
	req := httptest.NewRequest("POST", "/api/v1/payments/pay_x/refund", nil)
	const parent = "4bf92f3577b34da6a3ce929d0e0e4736"
	req.Header.Set("traceparent", "00-"+parent+"-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)

	spans := exp.GetSpans()
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	server, broker, store := byName["POST /api"], byName["broker refund"], byName["store Payment"]
	if server.Name == "" || broker.Name == "" || store.Name == "" {
		t.Fatalf("spans = %v", names(spans))
	}
	if server.SpanContext.TraceID().String() != parent {
		t.Errorf("the request's span is in trace %s, want the caller's %s", server.SpanContext.TraceID(), parent)
	}
	for _, s := range []tracetest.SpanStub{broker, store} {
		if s.Parent.SpanID() != server.SpanContext.SpanID() && s.Parent.SpanID() != broker.SpanContext.SpanID() {
			t.Errorf("%s is not inside the request's span", s.Name)
		}
	}
	if broker.Status.Description != "broker said no" || server.Status.Description == "" {
		t.Errorf("statuses: broker %+v, server %+v", broker.Status, server.Status)
	}
	if !strings.Contains(logs.String(), "trace_id="+parent) {
		t.Errorf("the log line lacks the trace id: %s", logs.String())
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// TestStoreConformance runs the store suite through the tracing wrapper: it
// must pass every call and capability on unchanged.
func TestStoreConformance(t *testing.T) {
	t.Parallel()
	tr, _ := newTracer()
	storetest.Run(t, func(t *testing.T) storetest.DB {
		s := tr.Store(memory.New())
		t.Cleanup(func() { _ = s.Close() })
		return storetest.SharedDB{Store: s}
	})
}

func TestStartRefusesBadEndpoint(t *testing.T) {
	t.Parallel()
	if _, err := tracing.Start(context.Background(), tracing.Config{Endpoint: "collector:4318"}); err == nil {
		t.Error("an endpoint without a scheme was taken")
	}
	// A port alone is no host: the exporter would send to this machine.
	if _, err := tracing.Start(context.Background(), tracing.Config{Endpoint: "http://:4318"}); err == nil || !strings.Contains(err.Error(), "host") {
		t.Errorf("an endpoint without a host: %v, want it refused", err)
	}
	// Every export would fail, and nothing says so but a log line per
	// batch.
	for _, port := range []string{"99999", "0", ""} {
		_, err := tracing.Start(context.Background(), tracing.Config{Endpoint: "http://collector:" + port})
		if err == nil || !strings.Contains(err.Error(), "port") {
			t.Errorf("port %q: %v, want it refused", port, err)
		}
	}
	tr, err := tracing.Start(context.Background(), tracing.Config{Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	_ = tr.Shutdown(context.Background())
}

// The background loops' checks for due work, asked every few seconds, make
// no trace of their own (an idle server sends nothing); inside a traced
// request they are spans as any store call, and a change made outside any
// request still is one.
func TestIdleChecksMakeNoTrace(t *testing.T) {
	t.Parallel()
	tr, exp := newTracer()
	st := tr.Store(memory.New())
	ctx := context.Background()
	if _, err := st.DueOperations(ctx, getpaid.DueRequest{Now: time.Now(), Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimDeliveries(ctx, getpaid.ClaimRequest{Owner: "test", Now: time.Now(), Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.(getpaid.StaleLister).StalePayments(ctx, getpaid.StaleRequest{Now: time.Now(), UpdatedBefore: time.Now(), Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if spans := exp.GetSpans(); len(spans) != 0 {
		t.Fatalf("idle checks made spans %v, want none", names(spans))
	}
	if _, err := st.Payment(ctx, "pay_missing"); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatal(err)
	}
	if got := names(exp.GetSpans()); len(got) != 1 || got[0] != "store Payment" {
		t.Fatalf("a store call outside a request: spans %v, want [store Payment]", got)
	}
	exp.Reset()
	h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := st.DueOperations(r.Context(), getpaid.DueRequest{Now: time.Now(), Limit: 10}); err != nil {
			t.Error(err)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/admin/attention", nil))
	if got := names(exp.GetSpans()); len(got) != 2 {
		t.Fatalf("inside a request: spans %v, want the request's and DueOperations'", got)
	}
}
