package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/admin"
)

// TestConsoleFormsReadThroughTheLimits posts hostile bodies to the console's
// sign-in form, which anyone can reach: like every other public form, its
// body goes through limits: (form_body, the body budget, body_timeout), so
// a declared or streamed oversize body is refused 413 at once and a slow
// one 408 within body_timeout, instead of each connection holding its body
// in memory outside the budget until the server's 30 s read timeout (and
// an oversize form answered 403 "token out of date").
func TestConsoleFormsReadThroughTheLimits(t *testing.T) {
	t.Parallel()
	hash, err := admin.HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	_, ts := startServer(t, sqliteConfig(t, "limits:\n  body_timeout: 1s\nadmin:\n  users:\n    - name: alice\n      password_hash: \""+hash+"\"\n"))
	addr := strings.TrimPrefix(ts.URL, "http://")
	form := "Content-Type: application/x-www-form-urlencoded\r\n"
	big := "csrf=x&name=" + strings.Repeat("a", 40<<10) // over form_body's 32 KiB
	for _, tt := range []struct {
		name, path, head, body string
		want                   int
	}{
		// 1 GB declared, a few bytes sent: refused before it is read.
		{"declared oversize login", "/admin/login", form + "Content-Length: 1000000000\r\n", "csrf=x", http.StatusRequestEntityTooLarge},
		{"streamed oversize login", "/admin/login", form + "Transfer-Encoding: chunked\r\n", fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(big), big), http.StatusRequestEntityTooLarge},
		// 100 bytes declared, 6 sent, then nothing: 408 after body_timeout.
		{"slow login", "/admin/login", form + "Content-Length: 100\r\n", "csrf=x", http.StatusRequestTimeout},
		// What fits is still the console's to judge: no token, 403; no
		// session, 401.
		{"small login", "/admin/login", form + "Content-Length: 6\r\n", "csrf=x", http.StatusForbidden},
		{"signed-out action", "/admin/payments/pay_x/do", form + "Content-Length: 6\r\n", "csrf=x", http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			start := time.Now()
			if _, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\n%s\r\n%s", tt.path, tt.head, tt.body); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: "POST", URL: &url.URL{Path: tt.path}})
			if err != nil {
				t.Fatalf("no answer within 5 s (%v): the body is waited for until the server's read timeout", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("answered after %s", d)
			}
			if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options %q", got)
			}
		})
	}
}
