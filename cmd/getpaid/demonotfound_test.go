package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// A mistyped or stale address in the demo shop (a path it does not serve,
// the order form's address opened as a page) answers with the shop's own
// page, saying so, with a way back: not Go's bare "404 page not found".
func TestDemoUnknownPage(t *testing.T) {
	t.Parallel()
	base, _ := serveTestDemo(t, demoOptions{})
	client := &http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 10 * time.Second}
	for _, tt := range []struct{ name, method, path string }{
		{"a mistyped path", "GET", "/ordres/ord_1"},
		{"the order form's address opened", "GET", "/orders"},
		{"an unknown page under an order", "GET", "/orders/ord_1/nope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tt.method, base+tt.path, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body := string(b)
			if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(body, "no such page") || !strings.Contains(body, `href="/"`) {
				t.Fatalf("%s %s: %d %s\n%s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		})
	}
}
