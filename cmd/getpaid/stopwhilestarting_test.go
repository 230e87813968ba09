package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// A signal that arrives while serve opens or migrates its database (a
// systemctl stop during a slow start) stops it as one after "getpaid
// serving" does: exit 0, saying so. It exited 1 blaming the database
// setting: "line 3: database: sqlite: open …: store unavailable: context
// canceled" (or "migrate: …: sqlite3: interrupted"), and systemd marked the
// unit failed.
func TestServeStoppedWhileStarting(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, fmt.Sprintf("listen: 127.0.0.1:%d\napi_keys: [server-api-key-0123456789]\ndatabase: sqlite:%s\nbackends:\n  dummy:\n    secret: s\n",
		freePort(t), filepath.Join(t.TempDir(), "g.db")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the signal, before the database is opened
	var stderr syncBuffer
	code := run(ctx, []string{"serve", "--config", path}, strings.NewReader(""), &stderr, &stderr)
	if out := stderr.String(); code != 0 || strings.Contains(out, "getpaid: ") || !strings.Contains(out, "getpaid stopped while starting") {
		t.Fatalf("serve stopped while starting: exit %d, want 0 and it said as a stop:\n%s", code, out)
	}
}

// The demo stopped by Ctrl+C or SIGTERM while it opens or migrates its
// SQLite file stops as it does once serving: exit 0, saying so. It exited
// 1 with "getpaid: sqlite: open …: store unavailable: sqlite3:
// interrupted" (or "getpaid: context canceled"), as if the file were at
// fault.
func TestDemoStoppedWhileStarting(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "demo")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the signal, before the SQLite file is opened
	var stdout, stderr syncBuffer
	code := run(ctx, []string{"demo", "--data", data, "--addr", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr)
	if out := stdout.String() + stderr.String(); code != 0 || strings.Contains(out, "getpaid: ") || !strings.Contains(out, "getpaid demo stopped while starting") {
		t.Fatalf("demo stopped while starting: exit %d, want 0 and it said as a stop:\n%s", code, out)
	}
}
