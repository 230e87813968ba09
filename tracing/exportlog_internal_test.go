package tracing

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// failingExporter fails while err is set.
type failingExporter struct{ err error }

func (f *failingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return f.err }
func (f *failingExporter) Shutdown(context.Context) error                             { return nil }

// TestFailedExportsLogged: an export the collector refused went to the
// standard library's log (OpenTelemetry's global error handler), as an
// unstructured line beside the server's structured log, once per batch
// however long the collector was away. It is now the server's log: one
// warning when exports start failing, at most one a minute while they
// still do (with how many failed), one line when they work again.
func TestFailedExportsLogged(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	inner := &failingExporter{err: errors.New("connection refused")}
	e := &exportLog{SpanExporter: inner, log: slog.New(slog.NewTextHandler(&buf, nil)), now: func() time.Time { return now }}
	steps := []struct {
		after time.Duration
		fail  bool
		want  string // the line logged, "" for none
	}{
		{0, true, `level=WARN msg="tracing: spans not exported (dropped)" err="connection refused" failed_exports=1`},
		{5 * time.Second, true, ""},
		{50 * time.Second, true, ""},
		{10 * time.Second, true, `level=WARN msg="tracing: spans not exported (dropped)" err="connection refused" failed_exports=3`},
		{5 * time.Second, false, `level=INFO msg="tracing: spans exported again" failed_exports=4`},
		{5 * time.Second, false, ""},
		{5 * time.Second, true, `level=WARN msg="tracing: spans not exported (dropped)" err="connection refused" failed_exports=1`},
	}
	for i, s := range steps {
		now = now.Add(s.after)
		inner.err = nil
		if s.fail {
			inner.err = errors.New("connection refused")
		}
		buf.Reset()
		if err := e.ExportSpans(context.Background(), nil); err != nil {
			t.Errorf("step %d: ExportSpans = %v, want nil (reported in the log, not to the global handler)", i, err)
		}
		got := strings.TrimSpace(buf.String())
		if s.want == "" && got != "" || s.want != "" && !strings.Contains(got, s.want) {
			t.Errorf("step %d: logged %q, want %q", i, got, s.want)
		}
	}
}
