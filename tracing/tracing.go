package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/getpaid-go/getpaid"
)

// Config configures tracing.
type Config struct {
	// Endpoint is the OTLP/HTTP collector URL ("http://collector:4318");
	// spans go to its /v1/traces. Plain http is allowed (a collector beside
	// the process).
	Endpoint string
	// Headers are sent with every export (an API key of a hosted backend).
	Headers map[string]string
	// ServiceName is the service.name resource attribute; empty means
	// "getpaid".
	ServiceName string
	// SampleRatio is the share of new traces recorded (0 < r <= 1); 0 means
	// all. A request whose caller sampled its trace is always recorded.
	SampleRatio float64
	// Log receives failed exports (Start): a warning when they begin, at
	// most one a minute while they go on, a line when exports work again.
	// Nil means slog.Default().
	Log *slog.Logger
}

// Tracer makes getpaid's spans.
type Tracer struct {
	tp   *sdktrace.TracerProvider
	tr   trace.Tracer
	prop propagation.TextMapPropagator
}

// Start builds a Tracer exporting over OTLP/HTTP to cfg.Endpoint. Call
// Shutdown to flush the last spans.
func Start(ctx context.Context, cfg Config) (*Tracer, error) {
	if err := Check(cfg); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.Endpoint)
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(strings.TrimRight(cfg.Endpoint, "/") + "/v1/traces"), otlptracehttp.WithTimeout(10 * time.Second)}
	if u.Path != "" && u.Path != "/" {
		opts[0] = otlptracehttp.WithEndpointURL(cfg.Endpoint)
	}
	if len(cfg.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(cfg.Headers))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	return New(cfg, sdktrace.WithBatcher(&exportLog{SpanExporter: exp, log: log, now: time.Now})), nil
}

// Check refuses the endpoint and headers Start would refuse, without
// starting anything: a config can be checked where nothing is traced.
func Check(cfg Config) error {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("tracing: endpoint %q: want an http(s) URL, with a host, of an OTLP/HTTP collector", getpaid.ShownURL(cfg.Endpoint))
	}
	// The exporter sends to the URL's host and path only: a user, password
	// or query in it would be dropped, and the exports go out without them
	// (while the endpoint, secret included, is logged at start).
	switch {
	case u.User != nil:
		return errors.New("tracing: endpoint: a user or password in the URL is never sent: give credentials as headers (Config.Headers; tracing.headers: {Authorization: …})")
	case u.RawQuery != "" || u.ForceQuery:
		return errors.New("tracing: endpoint: a query in the URL is never sent: give keys as headers (Config.Headers; tracing.headers)")
	case u.Fragment != "" || strings.Contains(cfg.Endpoint, "#"):
		return errors.New("tracing: endpoint: a #fragment is never sent: remove it (credentials go in headers: Config.Headers; tracing.headers)")
	case strings.LastIndex(u.Host, ":") > strings.LastIndex(u.Host, "]"): // a port given, not an IPv6 address's colons
		if n, err := strconv.Atoi(u.Port()); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("tracing: endpoint %q: the port %q: want 1 to 65535 (or none, for the scheme's own)", getpaid.ShownURL(cfg.Endpoint), u.Port())
		}
	}
	return checkHeaders(cfg.Headers)
}

// New builds a Tracer sending spans where opts say (tests pass a
// synchronous in-memory exporter).
func New(cfg Config, opts ...sdktrace.TracerProviderOption) *Tracer {
	name := cfg.ServiceName
	if name == "" {
		name = "getpaid"
	}
	sampler := sdktrace.AlwaysSample()
	if cfg.SampleRatio > 0 && cfg.SampleRatio < 1 {
		sampler = sdktrace.TraceIDRatioBased(cfg.SampleRatio)
	}
	opts = append([]sdktrace.TracerProviderOption{
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))),
		sdktrace.WithSampler(sdktrace.ParentBased(sampler)),
	}, opts...)
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracer{tp: tp, tr: tp.Tracer("github.com/getpaid-go/getpaid"), prop: propagation.TraceContext{}}
}

// Shutdown exports the spans still buffered and stops the exporter.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if err := t.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: shutdown: %w", err)
	}
	return nil
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Middleware runs next inside a server span per request, continuing the
// trace of a W3C traceparent header. The span is named after the method and
// the path's first segment when that is one of getpaid's routes (never ids
// or secrets: "POST /callback"), else after the method alone ("GET"), and a
// method HTTP does not define is "HTTP": made-up paths and methods make no
// new span names. Mount it where getpaid's routes are at the root (inside
// a StripPrefix of its mount point).
func (t *Tracer) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		method, attrs := r.Method, []attribute.KeyValue{attribute.String("http.request.method", r.Method)}
		if !knownMethods[method] {
			method = "HTTP"
			attrs = []attribute.KeyValue{attribute.String("http.request.method", "_OTHER"), attribute.String("http.request.method_original", r.Method)}
		}
		name := method
		if rt := route(r.URL.Path); routes[rt] {
			name += " " + rt
		}
		ctx, span := t.tr.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(append(attrs, attribute.String("url.path", r.URL.Path))...))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		span.SetAttributes(attribute.Int("http.response.status_code", sw.status))
		if sw.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(sw.status))
		}
	})
}

// routes are the first segments of getpaid's routes (httpapi's and the
// console's); knownMethods the methods HTTP defines (RFC 9110, PATCH).
var (
	routes       = map[string]bool{"/api": true, "/callback": true, "/success": true, "/failure": true, "/pay": true, "/broker": true, "/admin": true}
	knownMethods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
		http.MethodPatch: true, http.MethodDelete: true, http.MethodConnect: true, http.MethodOptions: true, http.MethodTrace: true}
)

// route is the first segment of a path ("/api/v1/payments/x" -> "/api").
func route(path string) string {
	for i := 1; i < len(path); i++ {
		if path[i] == '/' {
			return path[:i]
		}
	}
	return path
}

// BrokerCall runs a call to a broker inside a client span (the engine's
// BrokerCall hook).
func (t *Tracer) BrokerCall(ctx context.Context, backend, op string) (context.Context, func(error)) {
	ctx, span := t.tr.Start(ctx, "broker "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("getpaid.backend", backend), attribute.String("getpaid.broker.operation", op)))
	return ctx, func(err error) { end(span, err) }
}

// end records err on span and ends it.
func end(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// LogHandler adds the trace and span ids of the record's context to every
// log line, so a line can be found from its trace and back.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as)}
}
func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }

var errUnsupported = errors.New("tracing: the wrapped store lacks this capability")

// checkHeaders refuses a header the exporter could not send: every export
// would fail while getpaid runs. The value, a credential, is never repeated.
func checkHeaders(h map[string]string) error {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if n == "" || strings.ContainsFunc(n, func(r rune) bool { return r > 0x7e || !strings.ContainsRune(tokenChars, r) }) {
			return fmt.Errorf("tracing: headers: %q is not a header name (letters, digits and !#$%%&'*+-.^_`|~ only)", n)
		}
		if strings.ContainsFunc(h[n], func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			return fmt.Errorf("tracing: headers: %s: the value has a line break or another control character (the newline at the end of a secret file?): remove it", n)
		}
	}
	return nil
}

// tokenChars are the characters of an HTTP header name (RFC 9110's tchar).
const tokenChars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
