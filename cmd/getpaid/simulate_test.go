package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// A standalone simulator finishes every refund it accepts on its own, after
// --settle-after (Tpay at once, as it answers refunds): nothing stays
// pending for ever.
func TestSimulatorsSettleRefunds(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"payu", "przelewy24", "dotpay", "tpay"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim, b := simulatedBackend(t, name, simOptions{settleAfter: 50 * time.Millisecond, retryUnit: time.Hour})
			// getpaid's side: acknowledge notifications, confirming Przelewy24's.
			notified := make(chan *getpaid.Observation, 16)
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				o, err := b.ParseCallback(r.Context(), &getpaid.CallbackRequest{Method: r.Method, Header: r.Header, Body: body})
				if err != nil {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				select {
				case notified <- o:
				default: // the test reads only until the payment is paid
				}
				if a, ok := b.(getpaid.CallbackResponder); ok {
					_, ack := a.CallbackAck()
					_, _ = w.Write(ack)
				}
			}))
			t.Cleanup(recv.Close)
			if err := b.(getpaid.Provisioner).Provision(ctx, getpaid.NewEnv(name, recv.URL, nil)); err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("10.00", "PLN"),
				Description: "simulated", Buyer: getpaid.Buyer{Email: "buyer@example.com"}}
			prep, err := b.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
			if err != nil {
				t.Fatal(err)
			}
			if err := getpaid.MarkPrepared(p, prep.ExternalID, prep.Redirect); err != nil {
				t.Fatal(err)
			}
			if err := sim.pay(ctx, prep.Redirect, "paid"); err != nil {
				t.Fatal(err)
			}
			for p.Status != getpaid.StatusPaid {
				select {
				case o := <-notified:
					if c, ok := b.(getpaid.CallbackConfirmer); ok {
						if err := c.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: o}); err != nil {
							t.Fatal(err)
						}
					}
					if _, err := getpaid.Apply(p, o); err != nil {
						t.Fatal(err)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("not paid: %s", p.Status)
				}
			}
			op := &getpaid.Operation{ID: getpaid.NewID("op"), Kind: getpaid.OpRefund, Amount: p.Money(300)}
			if _, err := b.(getpaid.Refunder).Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: op.Amount, OperationID: op.ID}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				o, err := b.(getpaid.OperationFetcher).FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op})
				if err != nil && !errors.Is(err, getpaid.ErrNotFound) {
					t.Fatal(err)
				}
				if err == nil && o.Kind == getpaid.KindRefunded {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the refund is still %+v, %v", o, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// getpaid simulate's answers carry the security headers, those its mux
// makes itself included: a path it cleans (//pay/) was redirected with
// none of them.
func TestSimulatorRedirectCarriesSecurityHeaders(t *testing.T) {
	t.Parallel()
	sim, _, err := newSimulator("payu", defaultSimOptions())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(simulatorHandler(sim.handler, ""))
	t.Cleanup(func() { srv.Close(); sim.close() })
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(srv.URL + "//pay/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET //pay/: %d, headers %v; want 307 with nosniff and no-store", resp.StatusCode, resp.Header)
	}
}

// getpaid simulate --base-url with a path (behind a proxy forwarding
// /sim/transferuj as it is) prints that URL as the backend's api_url, and
// Transferuj's form is posted there exactly, with no slash after it: the
// simulator redirected it to the host's root ("/", outside its path), so the
// buyer got a 404 and could not pay; the address it says it is at did the
// same for the others. The base URL without its slash is its root.
func TestSimulatorUnderAPathServesItsBaseURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, method string
	}{
		{"transferuj", http.MethodPost}, // the payment form
		{"transferuj", http.MethodGet},  // the link (method: get)
		{"payu", http.MethodGet},        // the index page
	} {
		t.Run(tt.name+" "+tt.method, func(t *testing.T) {
			t.Parallel()
			sim, settings, err := newSimulator(tt.name, defaultSimOptions())
			if err != nil {
				t.Fatal(err)
			}
			if sim.close != nil {
				t.Cleanup(sim.close)
			}
			path := "/sim/" + tt.name
			var h http.Handler = sim.handler
			srv := httptest.NewUnstartedServer(nil)
			base := "http://" + srv.Listener.Addr().String() + path
			sim.setBase(base)
			sim.pointAt(settings, base)
			if !sim.rootTaken {
				h = simulatorIndex(tt.name, simSettings(tt.name, settings), h)
			}
			srv.Config.Handler = simulatorHandler(h, path)
			srv.Start()
			t.Cleanup(srv.Close)
			client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			answer := func(url string) (int, string) {
				req, err := http.NewRequest(tt.method, url, nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, resp.Header.Get("Location") + " " + string(b)
			}
			wantCode, want := answer(base + "/")
			if wantCode == http.StatusNotFound || wantCode == http.StatusTemporaryRedirect {
				t.Fatalf("%s %s/: %d %s", tt.method, base, wantCode, want)
			}
			if code, got := answer(base); code != wantCode || got != want {
				t.Fatalf("%s %s: %d %q; want what %s/ answers, %d %q", tt.method, base, code, got, base, wantCode, want)
			}
		})
	}
}
