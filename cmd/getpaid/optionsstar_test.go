package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// optionsStar sends OPTIONS * to addr and reads the answer.
func optionsStar(t *testing.T, addr, request string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: "OPTIONS"})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// OPTIONS * asks about the server, not a resource: a load balancer's health
// check sends it (HAProxy's manual: option httpchk OPTIONS * HTTP/1.1, healthy
// on 2xx or 3xx). net/http answered it 200 itself; since serve passes it to
// getpaid's handler (for the security headers), the mux answered 400 (and
// under a base_url path, Under redirected it to /*): the balancer took
// every instance for down. It is answered 200, with the headers, on the
// main listener (with and without a base_url path) and on metrics.listen.
func TestOptionsStarIsHealthy(t *testing.T) {
	t.Parallel()
	metricsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := metricsLn.Addr().String()
	metricsLn.Close()
	tests := []struct {
		name, config string
		metrics      bool
	}{
		{"main listener", "", false},
		{"main listener under a base_url path", "base_url: http://127.0.0.1:1/gp\n", false},
		{"metrics.listen", "metrics:\n  listen: " + metricsAddr + "\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := "base_url: http://127.0.0.1:1\n"
			if strings.HasPrefix(tt.config, "base_url:") {
				base = ""
			}
			path := writeConfig(t, "listen: 127.0.0.1:0\n"+base+"database: sqlite:"+filepath.Join(t.TempDir(), "getpaid.db")+
				"\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy:\n    secret: s3cret\n"+tt.config)
			srv, _ := startServer(t, path)
			addr := metricsAddr
			if tt.metrics {
				stop, err := startObservability(context.Background(), srv.cfg, srv, srv.log)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(stop)
			} else {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr = ln.Addr().String()
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- serveUntilDone(ctx, ln, accessLog(srv.log, srv.handler, false), nil) }()
				t.Cleanup(func() { cancel(); <-done })
			}
			for _, req := range []string{"OPTIONS * HTTP/1.1\r\nHost: www\r\n\r\n", "OPTIONS * HTTP/1.0\r\n\r\n"} {
				resp := optionsStar(t, addr, req)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
					resp.Header.Get("Content-Security-Policy") == "" {
					t.Errorf("%q: %d Location %q %v; want 200 with the security headers", req, resp.StatusCode, resp.Header.Get("Location"), resp.Header)
				}
			}
		})
	}
}
