package tracing_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/tracing"
)

// TestStartLogsFailedExports: spans a collector cannot take are reported in
// the logger given to Start (Config.Log), not by OpenTelemetry's global
// error handler on the standard library's log.
func TestStartLogsFailedExports(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there: every export is refused
	var buf bytes.Buffer
	tr, err := tracing.Start(context.Background(), tracing.Config{Endpoint: "http://" + addr, Log: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	_, done := tr.BrokerCall(context.Background(), "payu", "refund")
	done(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if !strings.Contains(buf.String(), `msg="tracing: spans not exported (dropped)"`) || !strings.Contains(buf.String(), "failed_exports=1") {
		t.Errorf("the failed export is not in the log:\n%s", buf.String())
	}
}
