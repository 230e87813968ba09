// Package tracing gives getpaid OpenTelemetry traces: a span for every HTTP
// request (continuing the caller's W3C traceparent), every call to a broker
// and every store call (but the background loops' idle checks for due work;
// an event applied already or a record not found is an answer, not an
// error: getpaid.store.result names it),
// exported over OTLP/HTTP when configured, and trace
// ids in log lines. It is off unless "getpaid serve" is given an endpoint.
//
// It is fed through hooks so the domain never imports OpenTelemetry:
// Middleware wraps the HTTP handler, BrokerCall is the engine's broker hook,
// Store decorates a getpaid.Store, and LogHandler wraps a slog.Handler.
package tracing
