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
