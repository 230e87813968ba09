package tracing

import (
	"context"
	"log/slog"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// exportLog reports failed exports in the server's log instead of
// OpenTelemetry's global error handler (the standard library's log: an
// unstructured line per failed batch): a warning when exports start
// failing, at most one a minute while they still do, and a line when they
// work again. The spans of a failed export are dropped, as they were.
type exportLog struct {
	sdktrace.SpanExporter
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	failed   int       // exports failed since they last worked
	unlogged int       // of those, not yet in a warning
	logged   time.Time // the last warning
}

func (e *exportLog) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case err == nil && e.failed > 0:
		e.log.Info("tracing: spans exported again", "failed_exports", e.failed)
		e.failed, e.unlogged = 0, 0
	case err != nil:
		e.failed++
		e.unlogged++
		if now := e.now(); e.failed == 1 || now.Sub(e.logged) >= time.Minute {
			e.log.Warn("tracing: spans not exported (dropped)", "err", err, "failed_exports", e.unlogged)
			e.logged, e.unlogged = now, 0
		}
	}
	return nil
}
