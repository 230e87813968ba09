package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/health"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/metrics"
)

// Example wires the metrics and the probes into a shop in library mode, as
// getpaid serve does: the engine's hooks count payments, status changes,
// broker calls and second transactions (a buyer who paid twice), the HTTP
// layer's callback hook counts notifications, and
// /metrics is served behind the API key (or on a listener of its own).
// With SQLite, pass sqlite.Options{OnCommit: …} calling ObserveCommit for
// the store series.
func Example() {
	ctx := context.Background()
	d, _ := dummy.New(dummy.Config{Secret: "change-me"})
	registry, _ := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: d})
	defer registry.Close()

	store := memory.New()
	m := metrics.New(metrics.Config{Backends: registry.Names(), Backlog: store})
	eng, _ := engine.New(engine.Config{Store: store, Registry: registry, BaseURL: "https://shop.example/payments",
		Hooks: engine.Hooks{BrokerCall: m.BrokerCall, Changed: m.Changed, SecondTransaction: m.SecondTransaction}})
	defer eng.Close()
	api, _ := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{"a-long-random-key-0123456789"}, OnCallback: m.ObserveCallback})

	mux := http.NewServeMux()
	mux.Handle("/payments/", http.StripPrefix("/payments", api))
	mux.Handle("GET /metrics", api.RequireAPIKey(m.Handler()))
	probes := health.New(eng, 0, nil) // /readyz: the store answers
	mux.Handle("GET /healthz", probes)
	mux.Handle("GET /readyz", probes)
	shop := httptest.NewServer(mux)
	defer shop.Close()

	if _, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "order-1", Backend: "dummy", Amount: getpaid.MustParseMoney("9.99", "PLN")}); err != nil {
		fmt.Println(err)
		return
	}
	ready, _ := http.Get(shop.URL + "/readyz")
	ready.Body.Close()
	fmt.Println("readyz:", ready.StatusCode)

	req, _ := http.NewRequest("GET", shop.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer a-long-random-key-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "getpaid_payments_created_total") || strings.HasPrefix(line, "getpaid_status_transitions_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// readyz: 200
	// getpaid_payments_created_total{backend="dummy"} 1
	// getpaid_status_transitions_total{backend="dummy",to="prepared"} 1
}
