package main

import (
	"context"
	"io"
	"log/slog"
)

// newLogger is serve's log on w: info and up, or with quiet warnings and
// errors only, except the console's audit lines (auditLogger): who signed
// in and what they did is a record, not chatter.
func newLogger(w io.Writer, quiet bool) *slog.Logger {
	lowest := slog.LevelInfo
	if quiet {
		lowest = slog.LevelWarn
	}
	return slog.New(&quietHandler{Handler: slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}), min: lowest})
}

// auditLogger is where the console's audit lines go without
// admin.audit_log: log's, tagged log=audit, which newLogger's handler
// writes at info even when quiet. A handler wrapped around it (tracing's)
// passes the tag on.
func auditLogger(log *slog.Logger) *slog.Logger {
	return log.With(auditAttr)
}

var auditAttr = slog.String("log", "audit")

// quietHandler drops the records below min that its Handler would write;
// one made With the audit tag drops none.
type quietHandler struct {
	slog.Handler
	min slog.Level
}

func (h *quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h *quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	lowest := h.min
	for _, a := range as {
		if a.Equal(auditAttr) {
			lowest = slog.LevelDebug
		}
	}
	return &quietHandler{Handler: h.Handler.WithAttrs(as), min: lowest}
}

func (h *quietHandler) WithGroup(name string) slog.Handler {
	return &quietHandler{Handler: h.Handler.WithGroup(name), min: h.min}
}
