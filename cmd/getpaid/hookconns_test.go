package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// Every endpoint in webhooks: gets its deliveries over kept-alive
// connections, up to the engine's DeliveriesInFlight (64) at once, also
// when several endpoints are busy together: serve's one transport keeps
// idle as many connections as they all have in flight. It kept at most 100
// in all (Go's default MaxIdleConns): with two endpoints each at 64, the
// rest were closed after every burst and opened again for the next one (a
// TCP, and over https a TLS, handshake per delivery).
func TestWebhookEndpointsKeepTheirConnections(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		endpoints int
	}{
		{"one endpoint", 1},
		{"two endpoints", 2},
		{"three endpoints", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			perEndpoint := engine.DefaultDeliveriesInFlight
			total := tc.endpoints * perEndpoint
			// A burst's requests are all held until every one has arrived:
			// each is on a connection of its own.
			var mu sync.Mutex
			arrived, burst := 0, make(chan struct{})
			var opened atomic.Int32
			yaml := dummyConfig + "delivery_timeout: 5m\nwebhooks:\n"
			for range tc.endpoints {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
					mu.Lock()
					b := burst
					if arrived++; arrived == total {
						close(b)
					}
					mu.Unlock()
					select {
					case <-b:
					case <-r.Context().Done():
					}
					w.WriteHeader(http.StatusNoContent)
				}))
				srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
					if s == http.StateNew {
						opened.Add(1)
					}
				}
				srv.Start()
				t.Cleanup(srv.Close)
				yaml += fmt.Sprintf("  - url: %s/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", srv.URL)
			}
			c, err := parseConfig([]byte(yaml), nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := engineConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			ev := getpaid.Event{ID: "evt_pay_1_v2", Type: getpaid.EventStatusChanged, PaymentID: "pay_1", OrderID: "order-1",
				Backend: "dummy", From: getpaid.StatusNew, To: getpaid.StatusPrepared, Amount: getpaid.Money{Minor: 100, Currency: "PLN"}}
			for round := range 3 {
				mu.Lock()
				arrived, burst = 0, make(chan struct{})
				mu.Unlock()
				var wg sync.WaitGroup
				for _, cons := range cfg.Consumers {
					for range perEndpoint {
						wg.Go(func() {
							if status, err := cons.Deliver(context.Background(), ev); err != nil || status != http.StatusNoContent {
								t.Errorf("round %d: %d, %v", round+1, status, err)
							}
						})
					}
				}
				wg.Wait()
			}
			if n := int(opened.Load()); n != total {
				t.Errorf("3 bursts of %d deliveries to %d endpoints opened %d connections; want %d, kept alive between bursts", total, tc.endpoints, n, total)
			}
		})
	}
}
