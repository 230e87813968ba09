package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
)

// TestCallbackReports checks that OnCallback hears of every callback: its
// outcome when accepted, the code of its refusal otherwise.
func TestCallbackReports(t *testing.T) {
	t.Parallel()
	eng := dummyEngine(t, "http://127.0.0.1:1")
	var mu sync.Mutex
	var reps []getpaid.CallbackReport
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}, Logger: slog.New(slog.DiscardHandler),
		OnCallback: func(_ context.Context, r getpaid.CallbackReport) {
			mu.Lock()
			defer mu.Unlock()
			reps = append(reps, r)
		}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-rep", Backend: "dummy", Amount: getpaid.MustParseMoney("5.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	post := func(c dummy.Callback, sig string) int {
		body, good := dummy.EncodeCallback(secret, c)
		if sig == "" {
			sig = good
		}
		req := httptest.NewRequest("POST", "/callback/dummy", bytes.NewReader(body))
		req.Header.Set(dummy.SignatureHeader, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	paid := dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: dummy.StatusPaid, Amount: "5.00", Currency: "PLN"}
	codes := []int{
		post(paid, ""),
		post(paid, ""),
		post(dummy.Callback{PaymentID: "pay_nobody", EventID: "e2", Status: dummy.StatusPaid, Amount: "5.00", Currency: "PLN"}, ""),
		post(paid, "00"),
	}
	want := []struct {
		label  string
		status int
	}{{"applied", 200}, {"duplicate", 200}, {"unknown", 200}, {"signature_invalid", 403}}
	mu.Lock()
	defer mu.Unlock()
	if len(reps) != len(want) {
		t.Fatalf("got %d reports, want %d: %+v", len(reps), len(want), reps)
	}
	for i, w := range want {
		r := reps[i]
		if r.Label() != w.label || r.Status != w.status || codes[i] != w.status || r.Backend != "dummy" || r.At.IsZero() {
			t.Errorf("report %d = %+v (answered %d), want %s %d", i, r, codes[i], w.label, w.status)
		}
	}
	if reps[0].PaymentID != p.ID {
		t.Errorf("the applied report names payment %q, want %s", reps[0].PaymentID, p.ID)
	}

	metrics := h.RequireAPIKey(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for key, want := range map[string]int{"": 401, "wrong-key-wrong-key": 401, apiKey: http.StatusTeapot} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		w := httptest.NewRecorder()
		metrics.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("RequireAPIKey with key %q: %d, want %d", key, w.Code, want)
		}
	}
}

// dummyEngine is an engine over a memory store with one dummy backend
// (secret), getpaid at baseURL, logging nothing.
func dummyEngine(t *testing.T, baseURL string) *engine.Engine {
	t.Helper()
	d, err := dummy.New(dummy.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: d})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: baseURL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	return eng
}
