package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/health"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/edge"
	"github.com/getpaid-go/getpaid/metrics"
	"github.com/getpaid-go/getpaid/sqlite"
	"github.com/getpaid-go/getpaid/tracing"
)

// adminConfig is getpaid.yaml's "admin:": the operator console's users
// (none: the console is off) and where its audit log goes.
type adminConfig struct {
	Users []adminUser `yaml:"users"`
	// AuditLog is a file the console appends one JSON line to per sign-in,
	// sign-out and action; empty means the server's log.
	AuditLog string `yaml:"audit_log"`
}

// adminUser is one console user; password_hash comes from
// "getpaid admin passwd".
type adminUser struct {
	Name         string `yaml:"name"`
	PasswordHash string `yaml:"password_hash"`
}

// metricsConfig is getpaid.yaml's "metrics:". /metrics is always on the
// main listener behind the API key; with listen it is also served, without
// authentication, on its own listener (with /healthz and /readyz).
type metricsConfig struct {
	Listen string `yaml:"listen"`
}

// tracingConfig is getpaid.yaml's "tracing:": off unless otlp_endpoint is
// set.
type tracingConfig struct {
	OTLPEndpoint string            `yaml:"otlp_endpoint"` // http(s)://collector:4318
	Headers      map[string]string `yaml:"headers"`
	ServiceName  string            `yaml:"service_name"`
	SampleRatio  float64           `yaml:"sample_ratio"`
}

// observability is what buildServer wires around the engine: metrics,
// tracing, the console's callback log, and the probes.
type observability struct {
	metrics *metrics.Metrics
	tracer  *tracing.Tracer
	calls   *admin.CallbackLog
	audit   *os.File
	// probes answers /healthz and /readyz on both listeners: one handler,
	// so that readiness is logged once, not once per listener.
	probes http.Handler
}

// probeHandler returns the probes, made at the first call.
func (o *observability) probeHandler(srv *server, log *slog.Logger) http.Handler {
	if o.probes == nil {
		o.probes = strict(health.New(srv.engine, 0, log))
	}
	return o.probes
}

// startTracing starts the tracer when configured and wraps the logger so
// its lines carry trace ids.
func startTracing(ctx context.Context, c *fileConfig, log *slog.Logger) (*tracing.Tracer, *slog.Logger, error) {
	if c.Tracing.OTLPEndpoint == "" {
		return nil, log, nil
	}
	if r := c.Tracing.SampleRatio; r < 0 || r > 1 {
		return nil, log, c.settingErr("tracing.sample_ratio", fmt.Errorf("%v: want a share between 0 and 1", r))
	}
	tr, err := tracing.Start(ctx, tracing.Config{Endpoint: c.Tracing.OTLPEndpoint, Headers: c.Tracing.Headers,
		ServiceName: c.Tracing.ServiceName, SampleRatio: c.Tracing.SampleRatio, Log: log})
	if err != nil {
		// The setting's path names the package already: "tracing:
		// tracing: endpoint …" said it twice.
		return nil, log, c.settingErr("tracing", errors.New(strings.TrimPrefix(err.Error(), "tracing: ")))
	}
	return tr, slog.New(tracing.LogHandler(log.Handler())), nil
}

// storeOptions are the SQLite options that feed the metrics.
func (o *observability) storeOptions() sqlite.Options {
	return sqlite.Options{OnCommit: func(c sqlite.Commit) { o.metrics.ObserveCommit(c.Writes, c.Duration, c.Err != nil) }}
}

// hooks are the engine hooks of metrics and tracing.
func (o *observability) hooks() engine.Hooks {
	h := engine.Hooks{BrokerCall: o.metrics.BrokerCall, Changed: o.metrics.Changed, SecondTransaction: o.metrics.SecondTransaction}
	if o.tracer != nil {
		h = engine.JoinHooks(h, engine.Hooks{BrokerCall: o.tracer.BrokerCall})
	}
	return h
}

// onCallback feeds every callback report to the metrics and the console.
func (o *observability) onCallback(ctx context.Context, r getpaid.CallbackReport) {
	o.metrics.ObserveCallback(ctx, r)
	o.calls.Record(ctx, r)
}

// routes puts the console, /metrics (behind the API key) and the probes
// beside the API; the API and the console are traced when tracing is on.
func (o *observability) routes(c *fileConfig, srv *server, api *httpapi.Handler, log *slog.Logger) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", strict(api.RequireAPIKey(o.metrics.Handler())))
	probes := o.probeHandler(srv, log)
	mux.Handle("GET /healthz", probes)
	mux.Handle("GET /readyz", probes)
	// Another method on these would fall through to the API's 404.
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		mux.Handle(p, strict(httpapi.MethodNotAllowed("GET, HEAD")))
	}
	// Requests are traced, probes and scrapes are not.
	traced := func(h http.Handler) http.Handler {
		if o.tracer != nil {
			return o.tracer.Middleware(noteSpan(h))
		}
		return h
	}
	if len(c.Admin.Users) > 0 {
		console, err := o.console(c, srv, api, log)
		if err != nil {
			return nil, err
		}
		// Its forms (the sign-in form is public) are read within limits:
		// as the other public forms are.
		mux.Handle("/admin/", traced(http.StripPrefix("/admin", api.ReadForms(console))))
		mux.Handle("GET /admin", strict(http.RedirectHandler(urlPath(c.BaseURL)+"/admin/", http.StatusMovedPermanently)))
	}
	mux.Handle("/", traced(api))
	return cleanPaths(mux), nil
}

// cleanPaths gives the answers the mux makes itself the headers every
// answer carries: a redirect to a cleaned path (/api/v1//payments,
// /callback/./dummy), to /admin/ for a POST to /admin, a CONNECT's 404. The
// handlers behind it set their own over them (pages their policy), but for
// the console's, which sets all of its own (and lets its stylesheet be
// cached).
func cleanPaths(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		clean := edge.CleanPath(p)
		// The escaped path, as http.StripPrefix cuts it: /%61dmin/ gets its
		// 404, not the console.
		if clean != p || !strings.HasPrefix(p, "/admin/") || !strings.HasPrefix(r.URL.EscapedPath(), "/admin/") {
			edge.SetStrict(w.Header())
		}
		mux.ServeHTTP(w, r)
	})
}

// openAudit opens the console's audit log, when the console is on and
// admin.audit_log names one.
func (o *observability) openAudit(c *fileConfig) error {
	if len(c.Admin.Users) == 0 || c.Admin.AuditLog == "" {
		return nil
	}
	f, err := os.OpenFile(c.Admin.AuditLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return c.settingErr("admin.audit_log", err)
	}
	o.audit = f
	return nil
}

// console builds the operator console from the config.
func (o *observability) console(c *fileConfig, srv *server, api *httpapi.Handler, log *slog.Logger) (*admin.Console, error) {
	audit := auditLogger(log)
	if o.audit != nil {
		audit = slog.New(slog.NewJSONHandler(o.audit, nil))
	}
	var users []admin.User
	for _, u := range c.Admin.Users {
		users = append(users, admin.User{Name: u.Name, PasswordHash: u.PasswordHash})
	}
	console, err := admin.New(admin.Config{
		// Under base_url's path (https://shop.example/gp): the console's
		// links, forms and cookies carry it, as the browser sees them.
		Service: srv.engine, Users: users, Prefix: urlPath(c.BaseURL) + "/admin",
		Secure:       func(r *http.Request) bool { return api.Scheme(r) == "https" },
		RequireHTTPS: c.RequireHTTPS,
		ClientIP:     api.ClientIP,
		Callbacks:    o.calls, Env: srv.engine.Env, Audit: audit, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("config: admin: %w", err)
	}
	return console, nil
}

// close flushes the spans and closes the audit log.
func (o *observability) close() error {
	var errs []error
	if o.tracer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, o.tracer.Shutdown(ctx))
	}
	if o.audit != nil {
		errs = append(errs, o.audit.Close())
	}
	return errors.Join(errs...)
}

// strict serves h with the headers every answer of getpaid carries (no
// sniffing, framing or caching, the strict policy), as the API's own
// answers have them.
func strict(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		edge.SetStrict(w.Header())
		h.ServeHTTP(w, r)
	})
}

// answerOptionsStar answers OPTIONS * (about the server, not a resource: a
// load balancer's health check, HAProxy's "option httpchk OPTIONS *
// HTTP/1.1") 200, as net/http's own handler does, with the security
// headers; net/http's mux would answer it 400, and httpapi.Under redirect
// it. Anything else goes to h.
func answerOptionsStar(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodOptions || r.RequestURI != "*" {
			h.ServeHTTP(w, r)
			return
		}
		edge.SetStrict(w.Header())
		w.Header().Set("Content-Length", "0")
		if r.ContentLength != 0 {
			_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 4<<10))
		}
		w.WriteHeader(http.StatusOK)
	})
}

// hsts gives every answer of h to a request made over https (as api's
// Scheme tells: TLS, or a trusted proxy's report)
// Strict-Transport-Security: the console's, the probes', the mux's and
// httpapi.Under's own, not only the API's.
func hsts(api *httpapi.Handler, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		edge.SetHSTS(w.Header(), api.Scheme(r))
		h.ServeHTTP(w, r)
	})
}

// serveMetrics serves /metrics, /healthz and /readyz without
// authentication on addr until ctx ends (metrics.listen: keep it on a
// private network).
func serveMetrics(ctx context.Context, addr string, srv *server, log *slog.Logger) (func(), error) {
	ln := srv.metricsLn // taken by serve before anything was opened
	if ln == nil {
		var err error
		if ln, err = listenOn(addr); err != nil {
			return nil, srv.cfg.settingErr("metrics.listen", err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", strict(srv.obs.metrics.Handler()))
	probes := srv.obs.probeHandler(srv, log)
	mux.Handle("GET /healthz", probes)
	mux.Handle("GET /readyz", probes)
	hs := &http.Server{Handler: strict(answerOptionsStar(mux)), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		DisableGeneralOptionsHandler: true}
	withHeaderLimit(hs)
	go func() { _ = hs.Serve(ln) }()
	log.Info("metrics serving", "listen", ln.Addr().String())
	return func() {
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shut)
	}, nil
}

// startObservability starts the metrics listener when configured and says
// where the console and the probes are.
func startObservability(ctx context.Context, c *fileConfig, srv *server, log *slog.Logger) (func(), error) {
	stop := func() {}
	if c.Metrics.Listen != "" {
		var err error
		if stop, err = serveMetrics(ctx, c.Metrics.Listen, srv, log); err != nil {
			return nil, err
		}
	}
	if len(c.Admin.Users) > 0 {
		log.Info("operator console", "url", c.BaseURL+"/admin/", "users", len(c.Admin.Users))
	} else {
		log.Info("operator console off: no admin users configured (see getpaid admin passwd)")
	}
	if c.Tracing.OTLPEndpoint != "" {
		log.Info("tracing", "otlp_endpoint", c.Tracing.OTLPEndpoint)
	}
	return stop, nil
}
