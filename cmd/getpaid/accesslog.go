package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// accessLog logs one line per request at info level: method, path (never
// the query, which can carry tokens), status, bytes and duration. Headers,
// bodies and API keys are never logged. With spans, the line is logged in
// the context of the request's span when a handler inside noted one
// (noteSpan): a log handler that adds trace ids (tracing.LogHandler) then
// puts the request's on its line.
func accessLog(log *slog.Logger, next http.Handler, spans bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		ctx := r.Context()
		var held *spanHolder
		if spans {
			held = &spanHolder{}
			r = r.WithContext(context.WithValue(ctx, spanHolderKey{}, held))
		}
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			if held != nil && held.ctx != nil {
				ctx = held.ctx
			}
			log.LogAttrs(ctx, slog.LevelInfo, "http",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status),
				slog.Int64("bytes", rec.bytes), slog.Duration("duration", time.Since(start).Round(time.Microsecond)))
		}()
		next.ServeHTTP(rec, r)
	})
}

// spanHolder carries, back out to accessLog, the context of the span a
// request was served in.
type spanHolder struct{ ctx context.Context }

type spanHolderKey struct{}

// noteSpan hands the context next is served in (a tracing middleware's,
// holding the request's span) to the access log around it, if there is one.
func noteSpan(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := r.Context().Value(spanHolderKey{}).(*spanHolder); ok {
			h.ctx = r.Context()
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status and size of an answer.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush,
// deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
