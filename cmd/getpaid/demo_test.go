package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoShopEndToEnd runs the demo shop over real HTTP on its SQLite file:
// place an order, choose the dummy broker, approve on the paywall, come back
// to the order page and see it paid; then decline another and see it unpaid.
func TestDemoShopEndToEnd(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	app, cleanup, err := startDemo(ctx, filepath.Join(t.TempDir(), "getpaid.db"), base, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, ln, app.Handler, nil) }()
	t.Cleanup(func() {
		cancel()
		<-done
		cleanup()
	})
	client := &http.Client{Timeout: 10 * time.Second}

	for _, tt := range []struct {
		sku, outcome, want string
	}{
		{"mug", "paid", "paid"},
		{"tshirt", "failed", "declined"},
	} {
		t.Run(tt.outcome, func(t *testing.T) {
			// Place an order; land on its page.
			resp, err := client.PostForm(base+"/orders", url.Values{"sku": {tt.sku}})
			if err != nil {
				t.Fatal(err)
			}
			orderURL := resp.Request.URL.String()
			page := readAll(t, resp)
			if !strings.Contains(page, `data-state="unpaid"`) || !strings.Contains(page, `id="pay"`) {
				t.Fatalf("new order page:\n%s", page)
			}
			orderID := orderURL[strings.LastIndex(orderURL, "/")+1:]
			// The payment form lists the dummy broker.
			form := get(t, client, base+"/payments/pay/"+orderID)
			if !strings.Contains(form, `value="dummy"`) {
				t.Fatalf("payment form:\n%s", form)
			}
			// Choose it: the client follows the redirect to the paywall.
			resp, err = client.PostForm(base+"/payments/pay/"+orderID, url.Values{"backend": {"dummy"}})
			if err != nil {
				t.Fatal(err)
			}
			paywall := readAll(t, resp)
			if !strings.Contains(resp.Request.URL.Path, "/payments/broker/dummy/pay") || !strings.Contains(paywall, "Dummy broker") {
				t.Fatalf("paywall at %s:\n%s", resp.Request.URL, paywall)
			}
			fields := url.Values{}
			for _, m := range regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(paywall, -1) {
				fields.Set(m[1], strings.NewReplacer("&amp;", "&", "&#43;", "+").Replace(m[2]))
			}
			fields.Set("outcome", tt.outcome)
			resp, err = client.PostForm(base+"/payments/broker/dummy/choose", fields)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if strings.TrimSuffix(resp.Request.URL.String(), "?") != orderURL {
				t.Fatalf("buyer landed on %s, want the order page %s", resp.Request.URL, orderURL)
			}
			// The callback is asynchronous: the order page shows the result soon.
			deadline := time.Now().Add(10 * time.Second)
			for {
				page = get(t, client, orderURL)
				status := regexp.MustCompile(`id="order-status" data-state="([a-z_]+)"`).FindStringSubmatch(page)
				if len(status) == 2 && status[1] == tt.want {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("order page never showed %s:\n%s", tt.want, page)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	_ = app
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return readAll(t, resp)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("%s: HTTP %d\n%s", resp.Request.URL, resp.StatusCode, b)
	}
	return string(b)
}
