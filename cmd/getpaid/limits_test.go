package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

func TestParseByteSize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want byteSize
		ok   bool
	}{
		{"16384", 16384, true}, {"64KiB", 64 << 10, true}, {"32 MiB", 32 << 20, true}, {"1GiB", 1 << 30, true}, {"512B", 512, true},
		{"64KB", 0, false}, {"-1", 0, false}, {"1.5MiB", 0, false}, {"", 0, false}, {"99999999GiB", 0, false}, {"lots", 0, false},
	} {
		got, err := parseByteSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%q: %d, %v; want %d (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestLimitsConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"all settings", `limits:
  max_header_bytes: 8KiB
  callback_body: {dummy: 2KiB}
  form_body: 16KiB
  api_body: 32KiB
  body_budget: 8MiB
  address_budget: 2MiB
  body_reads: 16
  body_timeout: 5s
  auth_failures: 5
  callback_refusals: 30
  window: 2m
  connections: 100
  connections_per_address: 10
proxy_header: Forwarded
require_https: true
`, ""},
		{"bad size", "limits:\n  form_body: big\n", "want a size"},
		{"unknown limit", "limits:\n  body_count: 3\n", "body_count"},
		{"negative count", "limits:\n  body_reads: -1\n", "negative"},
		{"negative connections", "limits:\n  connections_per_address: -1\n", "negative"},
		{"connections 0", "limits:\n  connections: 0\n", "line 11: limits.connections: 0: want more than 0"},
		// 0 was taken for the default: not "none", nor "no limit".
		{"a count of 0", "limits:\n  auth_failures: 0\n", "line 11: limits.auth_failures: 0: want more than 0 (leave the setting out for the default)"},
		{"a size of 0", "limits:\n  form_body: 0KiB\n", "line 11: limits.form_body: 0: want more than 0 (leave the setting out for the default)"},
		{"a window of 0", "limits:\n  window: 0s\n", "line 11: limits.window: 0: want more than 0 (leave the setting out for the default)"},
		{"callback cap of a backend not enabled", "limits:\n  callback_body: {payu: 64KiB}\n", `"payu"`},
		{"unknown proxy header", "proxy_header: X-Real-IP\n", `line 10: proxy_header: "X-Real-IP": want X-Forwarded-For or Forwarded`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig([]byte(dummyConfig+tt.yaml), nil)
			if err == nil {
				var srv *server
				if srv, err = buildServer(context.Background(), c, slog.New(slog.DiscardHandler)); err == nil {
					_ = srv.Close()
				}
			}
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// Every getpaid server bounds request headers (16 KiB unless configured):
// larger ones are answered 431 without reaching the handler.
func TestMaxHeaderBytes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		tune   []func(*http.Server)
		header int
		status int
	}{
		{"default refuses 32 KiB", nil, 32 << 10, 431},
		{"default takes 8 KiB", nil, 8 << 10, 200},
		{"configured 4 KiB refuses 8 KiB", []func(*http.Server){limitsConfig{MaxHeaderBytes: 4 << 10}.server}, 8 << 10, 431},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
			go func() { done <- serveUntilDone(ctx, ln, h, nil, tt.tune...) }()
			t.Cleanup(func() { cancel(); <-done })
			req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/", nil)
			req.Header.Set("X-Big", strings.Repeat("a", tt.header))
			resp, err := (&http.Client{Transport: brokerhttp.OwnTransport(), Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

// net/http answers OPTIONS * itself, an empty 200 without the headers every
// answer of getpaid carries; serve's servers pass it to their handler.
func TestOptionsStarReachesTheHandler(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusNotFound)
	})
	go func() { done <- serveUntilDone(ctx, ln, h, nil) }()
	t.Cleanup(func() { cancel(); <-done })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: "OPTIONS"})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("OPTIONS *: %d %v; want the handler's 404", resp.StatusCode, resp.Header)
	}
}

// TestWriteTimeoutOutlastsBrokerCalls: a create or a money operation may
// make two broker calls (a token first), each up to the backend's timeout,
// and its answer must still reach the client: past the server's
// WriteTimeout net/http drops the connection without one (with timeout: 55s
// and a slow PayU, a create was answered with an empty reply after 65 s).
func TestWriteTimeoutOutlastsBrokerCalls(t *testing.T) {
	t.Parallel()
	payu := func(timeout string) string {
		return "  payu:\n    api_url: http://127.0.0.1:1\n    pos_id: \"1\"\n    second_key: k\n    client_id: \"1\"\n    client_secret: s\n" + timeout
	}
	tests := []struct {
		name, backends string
		want           time.Duration
	}{
		{"no broker called over the network", "", time.Minute},
		{"the default timeout", payu(""), 90 * time.Second},
		{"a longer timeout", payu("    timeout: 55s\n"), 140 * time.Second},
		{"a shorter timeout keeps the minute", payu("    timeout: 5s\n"), time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig([]byte(dummyConfig+tt.backends), nil)
			if err != nil {
				t.Fatal(err)
			}
			hs := &http.Server{WriteTimeout: time.Minute}
			writeTimeout(c)(hs)
			if hs.WriteTimeout != tt.want {
				t.Fatalf("WriteTimeout %v, want %v", hs.WriteTimeout, tt.want)
			}
		})
	}
}
