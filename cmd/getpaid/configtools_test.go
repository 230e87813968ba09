package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tools that read getpaid.yaml refuse what serve refuses before it
// opens the database: `getpaid backends --config` answered a file with a
// zero broker timeout (or a short API key) with its table, and `migrate`
// migrated for it, and only serve said what was wrong, at deploy time.
// Refused, nothing is created.
func TestToolsRefuseWhatServeRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, extra, backend, want string
	}{
		{"broker timeout 0s", "", "    timeout: 0s\n", "backends.dummy.timeout"},
		{"short API key", "api_keys: [short]\n", "", "api_keys[0]"},
		{"flag_operations_after 0s", "flag_operations_after: 0s\n", "", "flag_operations_after"},
		{"webhook URL with credentials", "webhooks:\n  - url: https://user:pass@shop.example.com/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", "", "webhooks[0]"},
		// Checked against the backends' largest callback bodies, so once
		// they are built: still before the database is opened.
		// Each named as the file writes it, with its own line (not
		// "limits: httpapi: the body budget (BodyBudget, …) … (APIBytes)").
		{"body budget below an API body", "limits:\n  window: 1m\n  body_budget: 1KiB\n", "",
			"line 7: limits.body_budget: the body budget (1024 bytes) is smaller than a JSON API body (limits.api_body) may be (65536)"},
		{"body budget below a form body", "limits:\n  body_budget: 16KiB\n  form_body: 32KiB\n  api_body: 8KiB\n", "",
			"line 6: limits.body_budget: the body budget (16384 bytes) is smaller than a form body (limits.form_body) may be (32768)"},
		{"address budget above the body budget", "limits:\n  window: 1m\n  address_budget: 64MiB\n", "", "line 7: limits.address_budget: the address budget (67108864 bytes) is larger"},
		// Checked when serve starts tracing: still before the database.
		// Each named with its own line, not the section's first setting's.
		{"tracing endpoint with a password", "tracing:\n  service_name: shop\n  otlp_endpoint: http://user:pass@127.0.0.1:4318\n", "",
			"line 7: tracing.otlp_endpoint: a user or password in the URL is never sent"},
		{"tracing header not a name", "tracing:\n  otlp_endpoint: http://127.0.0.1:4318\n  headers:\n    Authorization: Basic abc\n    Bad Header: x\n", "",
			"line 9: tracing.headers.Bad Header: \"Bad Header\" is not a header name"},
		{"no webhook events", "webhooks:\n  - url: https://shop.example.com/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n    events: []\n", "", "webhooks[0].events"},
	}
	for _, tt := range tests {
		for _, args := range [][]string{{"serve"}, {"migrate"}, {"backends"}, {"config", "dummy", "--base-url", "https://pay.example.com"}} {
			cmd := args[0]
			t.Run(tt.name+"/"+cmd, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				db := filepath.Join(dir, "g.db")
				keys := "api_keys: [server-api-key-0123456789]\n"
				if strings.HasPrefix(tt.extra, "api_keys") {
					keys = ""
				}
				path := writeConfig(t, "listen: 127.0.0.1:0\nbase_url: https://pay.example.com\ndatabase: sqlite:"+db+"\n"+keys+tt.extra+
					"backends:\n  dummy:\n    secret: s3cret\n"+tt.backend)
				code, out, stderr := runCLI(t, "", append(args, "--config", path)...)
				if code == 0 || !strings.Contains(stderr, tt.want) {
					t.Fatalf("%s: code %d, stdout %q, stderr %q; want it refused naming %s", cmd, code, out, stderr, tt.want)
				}
				if out != "" {
					t.Fatalf("%s: refused, yet printed %q", cmd, out)
				}
				if _, err := os.Stat(db); !os.IsNotExist(err) {
					t.Fatalf("%s: refused, yet the database was created (%v)", cmd, err)
				}
			})
		}
	}
}

// Defaults named in refusals are written as in getpaid.yaml.
func TestShortDuration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{2 * time.Minute, "2m"},
		{90 * time.Minute, "1h30m"},
		{30 * time.Second, "30s"},
		{90 * time.Second, "1m30s"},
		{1500 * time.Millisecond, "1.5s"},
		{10 * time.Hour, "10h"},
	} {
		if got := shortDuration(tt.d); got != tt.want {
			t.Errorf("shortDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
