package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// TestMuxAnswersCarrySecurityHeaders sends what only the server's own mux
// answers (no handler of getpaid runs): the redirect of /admin to /admin/
// for a method other than GET, a CONNECT, and a path reaching /admin/ only
// once unescaped. Every answer carries the
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
		// /admin/ only once unescaped: the console's http.StripPrefix
		// answers 404 before the console sets its headers.
		{"GET /%61dmin/", "GET /%61dmin/ HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"GET /%61dmin/login", "GET /%61dmin/login HTTP/1.1\r\nHost: x\r\n\r\n"},
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

// TestHSTSOnEveryAnswerOverHTTPS: behind a trusted proxy that reports
// https, every answer of serve tells browsers to keep to https (the
// console's sign-in page, the probes, /metrics, the mux's own redirects),
// not only the API's; over plain http none does.
func TestHSTSOnEveryAnswerOverHTTPS(t *testing.T) {
	t.Parallel()
	hash, err := admin.HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	_, ts := startServer(t, sqliteConfig(t, "trusted_proxies: [127.0.0.1/32]\nadmin:\n  users:\n    - name: alice\n      password_hash: \""+hash+"\"\n"))
	noRedirects := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		name, method, path, proto, want string
	}{
		{"console sign-in", "GET", "/admin/login", "https", "max-age=31536000"},
		{"console redirect", "GET", "/admin/", "https", "max-age=31536000"},
		{"console static", "GET", "/admin/static/style.css", "https", "max-age=31536000"},
		{"healthz", "GET", "/healthz", "https", "max-age=31536000"},
		{"metrics refused", "GET", "/metrics", "https", "max-age=31536000"},
		{"cleaned path", "GET", "/api/v1//backends", "https", "max-age=31536000"},
		{"POST /admin", "POST", "/admin", "https", "max-age=31536000"},
		{"API", "GET", "/api/v1/backends", "https", "max-age=31536000"},
		{"console over http", "GET", "/admin/login", "", ""},
		{"healthz over http", "GET", "/healthz", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("%d: Strict-Transport-Security %q, want %q", resp.StatusCode, got, tt.want)
			}
		})
	}
}

// Under a base_url path, the answers httpapi.Under makes itself (the
// redirect of /gp to /gp/, of an unclean path, the 404 outside /gp) carry
// Strict-Transport-Security over https too.
func TestHSTSUnderABasePath(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, writeConfig(t, `listen: 127.0.0.1:0
base_url: http://127.0.0.1:1/gp
database: sqlite:`+filepath.Join(t.TempDir(), "getpaid.db")+`
api_keys: [server-api-key-0123456789]
trusted_proxies: [127.0.0.1/32]
backends:
  dummy:
    secret: s3cret
`))
	noRedirects := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct{ path, proto, want string }{
		{"/gp", "https", "max-age=31536000"},
		{"/gp//api/v1/backends", "https", "max-age=31536000"},
		{"/elsewhere", "https", "max-age=31536000"},
		{"/gp/api/v1/backends", "https", "max-age=31536000"},
		{"/gp", "", ""},
		{"/elsewhere", "", ""},
	} {
		t.Run(tt.path+" "+tt.proto, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest("GET", ts.URL+tt.path, nil)
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("%d: Strict-Transport-Security %q, want %q", resp.StatusCode, got, tt.want)
			}
		})
	}
}
