package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/tracing"
)

// serve --quiet leaves out the info lines, but not the console's audit
// lines when they go to the server's log (no admin.audit_log): who signed
// in and what they did is a record, not chatter.
func TestQuietKeepsAuditLines(t *testing.T) {
	t.Parallel()
	for _, quiet := range []bool{false, true} {
		var buf bytes.Buffer
		// Wrapped as serve wraps it when tracing is on.
		log := slog.New(tracing.LogHandler(newLogger(&buf, quiet).Handler()))
		log.With("component", "api").Info("request served")
		log.Warn("disk nearly full")
		auditLogger(log.With("component", "admin")).Info("admin audit", "user", "alice", "action", "sign-in")
		out := buf.String()
		if got := strings.Contains(out, "request served"); got == quiet {
			t.Errorf("quiet=%v: an info line written: %v\n%s", quiet, got, out)
		}
		if !strings.Contains(out, "disk nearly full") {
			t.Errorf("quiet=%v: the warning is missing\n%s", quiet, out)
		}
		if !strings.Contains(out, `msg="admin audit"`) || !strings.Contains(out, "log=audit") || !strings.Contains(out, "user=alice") {
			t.Errorf("quiet=%v: the audit line is missing\n%s", quiet, out)
		}
	}
}
