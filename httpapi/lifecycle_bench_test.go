package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
)

// BenchmarkLifecycle runs the four requests of `getpaid bench`'s lifecycle
// (create, read, signed paid callback, read) through the handler, without
// a network, on the memory store: the handler chain's CPU and allocations
// per lifecycle (run with -benchmem).
func BenchmarkLifecycle(b *testing.B) {
	// The memory store scans every payment on create: a fresh one every
	// 100 lifecycles keeps that out of the figures.
	var h *httpapi.Handler
	fresh := func() {
		d, err := dummy.New(dummy.Config{Secret: secret, NoCallbacks: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = d.Close() })
		reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Title: "Dummy", Broker: d})
		if err != nil {
			b.Fatal(err)
		}
		eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/gp",
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { eng.Close() })
		h, err = httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
	}
	do := func(method, target string, hdr map[string]string, body []byte, want int) []byte {
		req := httptest.NewRequest(method, target, bytes.NewReader(body))
		req.RemoteAddr = "192.0.2.1:1234"
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := deadlineRecorder{httptest.NewRecorder()}
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	auth := map[string]string{"Authorization": "Bearer " + apiKey}
	create := map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": "application/json"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%100 == 0 {
			b.StopTimer()
			fresh()
			b.StartTimer()
		}
		order := fmt.Sprintf("bench-%d", i)
		body, _ := json.Marshal(map[string]any{"order_id": order, "amount": "12.34", "currency": "PLN", "backend": "dummy",
			"description": "bench", "buyer": map[string]string{"email": "bench@example.com"}, "return_url": "https://shop.example/o/" + order})
		var p struct{ ID, Status string }
		if err := json.Unmarshal(do("POST", "/api/v1/payments", create, body, http.StatusCreated), &p); err != nil {
			b.Fatal(err)
		}
		do("GET", "/api/v1/payments/"+p.ID, auth, nil, http.StatusOK)
		cb, sig := dummy.EncodeCallback(secret, dummy.Callback{PaymentID: p.ID, EventID: "evt-" + p.ID, Status: "paid", Amount: "12.34", Currency: "PLN"})
		do("POST", getpaid.CallbackPath+"dummy", map[string]string{dummy.SignatureHeader: sig, "Content-Type": "application/json"}, cb, http.StatusOK)
		if err := json.Unmarshal(do("GET", "/api/v1/payments/"+p.ID, auth, nil, http.StatusOK), &p); err != nil {
			b.Fatal(err)
		}
		if p.Status != "paid" {
			b.Fatalf("status %q after the paid callback", p.Status)
		}
	}
}

// deadlineRecorder is a ResponseRecorder whose connection, as a real
// server's, takes read deadlines (http.ResponseController): the benchmark
// measures the path every request to a server takes, not the one for a
// writer that cannot reach its connection (a body read in a goroutine of
// its own, see within).
type deadlineRecorder struct{ *httptest.ResponseRecorder }

func (deadlineRecorder) SetReadDeadline(time.Time) error { return nil }
