package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// A webhook URL may carry a secret in its query (?token=…): serve's log
// and the events commands show it with the query's values hidden, and
// --endpoint still takes it as configured.
func TestEndpointQueryValuesHidden(t *testing.T) {
	t.Parallel()
	const url = "https://shop.example/hook?token=SECRET42"
	const shown = "https://shop.example/hook?token=xxxxx"
	hook := "webhooks:\n  - url: " + url + "\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	t.Run("events", func(t *testing.T) {
		t.Parallel()
		path, _, p := deliveriesSetBySQL(t, hook, "state = 'dead'")
		code, out, errOut := runCLI(t, "", "events", "list", "--endpoint", url, "--config", path)
		if code != 0 || strings.Contains(out+errOut, "SECRET42") || !strings.Contains(out, "webhook:"+shown) || !strings.Contains(out, p.ID) {
			t.Fatalf("events list: %d\n%s%s", code, out, errOut)
		}
		ev := strings.Fields(strings.Split(out, "\n")[1])[0]
		code, out, errOut = runCLI(t, "", "events", "show", ev, "--config", path)
		if code != 0 || strings.Contains(out+errOut, "SECRET42") || !strings.Contains(out, "webhook:"+shown) {
			t.Errorf("events show: %d\n%s%s", code, out, errOut)
		}
		code, out, errOut = runCLI(t, "", "events", "replay", ev, "--endpoint", "https://shop.example/hook?token=SECRET43", "--config", path)
		if code == 0 || strings.Contains(out+errOut, "SECRET4") {
			t.Errorf("events replay to a misspelt endpoint: %d\n%s%s", code, out, errOut)
		}
	})
	t.Run("serve", func(t *testing.T) {
		t.Parallel()
		ln := listen(t, "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		path := writeConfig(t, fmt.Sprintf("listen: %s\ndatabase: sqlite:%s\napi_keys: [%s]\nbackends:\n  dummy:\n    secret: s\n%s",
			addr, filepath.Join(t.TempDir(), "getpaid.db"), testAPIKey, hook))
		ctx, cancel := context.WithCancel(context.Background())
		code := make(chan int, 1)
		var stderr syncBuffer
		go func() {
			code <- run(ctx, []string{"serve", "--config", path}, strings.NewReader(""), io.Discard, &stderr)
		}()
		waitFor(t, "serve to log the endpoint", func() bool { return strings.Contains(stderr.String(), "webhook endpoint") })
		cancel()
		if c := <-code; c != 0 {
			t.Fatalf("serve exited %d: %s", c, stderr.String())
		}
		if log := stderr.String(); strings.Contains(log, "SECRET42") || !strings.Contains(log, shown) {
			t.Errorf("serve's log:\n%s", log)
		}
	})
}

// A password or query value written in base_url or tracing.otlp_endpoint
// is never shown by the error refusing it (as a broker URL's or a webhook
// URL's is not): it went to the terminal and the log whole.
func TestRefusedURLHidesItsSecret(t *testing.T) {
	t.Parallel()
	const file = "listen: 127.0.0.1:0\ndatabase: \"memory:\"\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy:\n    secret: s\n"
	for _, setting := range []string{
		"base_url: https://user:S3cret-pw@pay.example.com",
		"base_url: ftp://user:S3cret-pw@pay.example.com",
		"base_url: https://user:S3cret-pw@pay.example.com:99999",
		"base_url: https://pay.example.com/?key=S3cret-pw",
		"base_url: user:S3cret-pw@pay.example.com",
		"base_url: https:/user:S3cret-pw@pay.example.com",           // one slash
		"base_url: https//user:S3cret-pw@pay.example.com",           // no colon
		"tracing: {otlp_endpoint: 'user:S3cret-pw@collector:4318'}", // no scheme
		"tracing: {otlp_endpoint: 'http:/user:S3cret-pw@collector:4318'}",
		"tracing: {otlp_endpoint: 'ftp://user:S3cret-pw@collector:4318'}",
		"tracing: {otlp_endpoint: 'http://user:S3cret-pw@:4318'}",
	} {
		t.Run(setting, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, file+setting+"\n", nil)
			if !strings.Contains(err.Error(), "line 7:") || strings.Contains(err.Error(), "S3cret-pw") {
				t.Fatalf("error %q: want it to name line 7 and not the password", err)
			}
		})
	}
}
