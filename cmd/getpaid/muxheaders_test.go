package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/admin"
)

// TestMuxAnswersCarrySecurityHeaders sends what only the server's own mux
// answers (no handler of getpaid runs): the redirect of /admin to /admin/
// for a method other than GET, and a CONNECT. Every answer carries the
// headers, as README's "The public edge" says.
func TestMuxAnswersCarrySecurityHeaders(t *testing.T) {
	t.Parallel()
	hash, err := admin.HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	_, ts := startServer(t, sqliteConfig(t, "admin:\n  users:\n    - name: alice\n      password_hash: \""+hash+"\"\n"))
	addr := strings.TrimPrefix(ts.URL, "http://")
	for _, tt := range []struct{ name, request string }{
		{"POST /admin", "POST /admin HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"},
		{"PUT /admin", "PUT /admin HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"},
		{"CONNECT", "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, tt.request); err != nil {
				t.Fatal(err)
			}
			method, _, _ := strings.Cut(tt.request, " ")
			resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
				"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%d: %s = %q, want %q", resp.StatusCode, k, got, want)
				}
			}
		})
	}
}
