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
