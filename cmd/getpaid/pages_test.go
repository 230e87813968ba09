package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/brokertest"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Acceptance 4 for the simulators: the buyer's page of every simulator
// answers with the security headers, and refuses an oversized form.
func TestSimulatorPagesSecurityHeaders(t *testing.T) {
	t.Parallel()
	reg, _ := demoRegistry(t)
	client := &http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 10 * time.Second}
	for _, name := range simulatorNames() {
		t.Run(name, func(t *testing.T) {
			b, ok := reg.Get(name)
			if !ok {
				t.Fatalf("demo lacks %s", name)
			}
			p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-" + name, Backend: name, Status: getpaid.StatusNew,
				Amount: getpaid.MustParseMoney("9.99", "PLN"), Description: "headers", Buyer: getpaid.Buyer{Email: "a@example.com"}}
			prep, err := b.Broker.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p, ClientIP: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			req, err := brokertest.NewBuyerRequest(context.Background(), prep.Redirect)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req) // follows the simulator to its payment page
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("payment page %s: %d %s", resp.Request.URL, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			checkPageHeaders(t, resp)
			page := resp.Request.URL.String()
			if name == "payu" {
				u := *resp.Request.URL
				u.Path, u.RawQuery = u.Path[:strings.Index(u.Path, "/pay/")+len("/pay/")], ""
				page = u.String()
			}
			resp, err = client.PostForm(page, url.Values{"outcome": {"paid"}, "pad": {strings.Repeat("x", 64<<10)}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("oversized form: %d, want 413", resp.StatusCode)
			}
			checkPageHeaders(t, resp)
		})
	}
}

// demoRegistry serves the demo's simulators until the test ends and
// returns the demo's backends, provisioned, pointed at them, and their URL.
func demoRegistry(t *testing.T) (*getpaid.Registry, string) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	backends, sims, stop, err := demoSimulators(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	mux.Handle("/", sims)
	reg, err := getpaid.NewRegistry(backends...)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Provision(context.Background(), "http://127.0.0.1:1/payments", nil); err != nil {
		t.Fatal(err)
	}
	return reg, srv.URL
}

func checkPageHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("%s: Content-Security-Policy %q", resp.Request.URL, csp)
	}
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "strict-origin-when-cross-origin", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", resp.Request.URL, k, got, want)
		}
	}
}
