package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/health"
	"github.com/getpaid-go/getpaid/httpapi"
)

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve", "[--config FILE] [--quiet] [--cpuprofile FILE]", "getpaid serve --config /etc/getpaid/getpaid.yaml")
	path := fs.String("config", "getpaid.yaml", "config file")
	quiet := fs.Bool("quiet", false, "log warnings and errors only")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file until shutdown")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("serve: --cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	c, err := loadConfig(*path, nil) // warned of in the log below
	if err != nil {
		return err
	}
	log := newLogger(stderr, *quiet)
	for _, msg := range c.ignoredEnv {
		// Before any refusal below: a misspelt variable is often why.
		log.Warn("environment: " + msg)
	}
	if len(c.APIKeys) == 0 {
		// Without a key every JSON API request is refused (401): a server
		// that cannot create a payment is a mistake, not a mode.
		return fmt.Errorf("%s: api_keys is empty: the JSON API would refuse every request; "+
			"set api_keys: [a-long-random-key] (16+ characters) or GETPAID_API_KEYS=key1,key2", c.source)
	}
	tuneGC()
	// What the config gets wrong is said first, before an address in use
	// (a demo on the same port) hides it: the checks buildServer makes
	// again below, on a registry closed at once.
	if _, reg, err := checkedRegistry(c); err != nil {
		return schemaAdvice(err, *path)
	} else if err := reg.Close(); err != nil {
		return err
	}
	// The addresses are taken before the database is opened: one in use
	// is refused with nothing created, migrated or started.
	ln, err := listenOn(c.Listen)
	if err != nil {
		return c.settingErr("listen", err)
	}
	if host, port, err := net.SplitHostPort(c.Listen); err == nil && c.baseFromListen && port != portOf(ln.Addr()) {
		// Any free port (0), or one written otherwise than as its number
		// (" 8000", "08000"): callback and return URLs name the one taken.
		c.BaseURL = "http://" + net.JoinHostPort(host, portOf(ln.Addr()))
	}
	var metricsLn net.Listener
	if c.Metrics.Listen != "" {
		if metricsLn, err = listenOn(c.Metrics.Listen); err != nil {
			_ = ln.Close()
			if _, port, perr := net.SplitHostPort(c.Metrics.Listen); perr == nil && errors.Is(err, syscall.EADDRINUSE) && port == portOf(ln.Addr()) {
				// In use by this very process: no other to stop.
				return c.settingErr("metrics.listen", fmt.Errorf("%s is on listen's port %s, which getpaid serves the API on: give metrics its own port "+
					"(or leave metrics.listen out: /metrics is then served on listen, with an API key)", c.Metrics.Listen, port))
			}
			return c.settingErr("metrics.listen", err)
		}
	}
	srv, err := buildServer(ctx, c, log)
	if err != nil {
		_ = ln.Close()
		if metricsLn != nil {
			_ = metricsLn.Close()
		}
		if ctx.Err() != nil {
			// SIGTERM or SIGINT while the database was opened or
			// migrated (a stop during a slow start): a stop asked for,
			// as one after "getpaid serving" is, not the database
			// setting's failure ("context canceled", "interrupted").
			log.Info("getpaid stopped while starting: a signal arrived before it served", "interrupted", err)
			return nil
		}
		return schemaAdvice(err, *path)
	}
	srv.metricsLn = metricsLn
	return serve(ctx, srv, ln, log, 30*time.Second)
}

// serve serves srv on ln until ctx ends, running the engine's background
// work every interval. Then it shuts down: requests in flight finish, the
// background work stops, and srv is closed (the engine, the brokers, the
// store); every error of that is reported.
func serve(ctx context.Context, srv *server, ln net.Listener, log *slog.Logger, interval time.Duration) (err error) {
	defer func() {
		if cerr := srv.Close(); cerr != nil {
			log.Error("shutdown: closing failed", "err", cerr)
			err = errors.Join(err, fmt.Errorf("shutdown: %w", cerr))
		}
		log.Info("getpaid stopped") // once the engine's work in flight (deliveries) has ended too
	}()
	stop, err := startObservability(ctx, srv.cfg, srv, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer stop()
	// The backends' cautions (getpaid.Cautioner) were logged by engine.New.
	for _, p := range trustingEveryone(srv.cfg.TrustedProxies) {
		log.Warn("trusted_proxies trusts every address: any client can set its own address in "+proxyHeaderName(srv.cfg.ProxyHeader)+
			" (forged callbacks pass the brokers' source checks, limits per address are evaded, the buyer's address stored is the client's word); list only your proxies",
			"entry", p)
	}
	if httpsUnreachable(srv.cfg) {
		log.Warn("require_https is on, but trusted_proxies is empty: serve speaks plain http and no proxy is trusted to report https, " +
			"so every JSON API call and console request will be refused 403 (https_required); list the TLS-terminating proxy in trusted_proxies, or turn require_https off")
	}
	for _, s := range plainHTTPSettings(srv.cfg) {
		log.Warn("a broker URL is plain http on another host: the backend's credentials travel in clear; use https, or a simulator on this machine", "setting", s)
	}
	for _, w := range srv.webhooks {
		log.Info("webhook endpoint", "url", getpaid.ShownURL(w.URL), "events", w.eventsLogged())
	}
	warnUnsentDeliveries(ctx, log, srv)
	warnPaymentsOfGoneBackends(ctx, log, srv)
	for _, u := range plainHTTPWebhooks(srv.cfg) {
		log.Warn("a webhook endpoint is plain http on another host: its events (orders, amounts, statuses) travel in clear, though signed; use https", "url", getpaid.ShownURL(u))
	}
	proxies, _ := httpapi.ParseProxies(srv.cfg.TrustedProxies) // checked by buildServer
	ln = srv.cfg.Limits.listener(ln, proxies, log)
	log.Info("getpaid serving", "listen", ln.Addr().String(), "base_url", srv.base, "backends", srv.reg.Names())
	logged := make(chan struct{})
	stopLog := context.AfterFunc(ctx, func() {
		defer close(logged)
		msg := "shutting down: finishing requests in flight (10 s at most) and background work"
		if len(srv.webhooks) > 0 {
			// An attempt in flight is bounded by its own timeout, not the
			// requests' 10 s.
			timeout := 10 * time.Second
			if d := srv.cfg.DeliveryTimeout; d != nil {
				timeout = d.Duration
			}
			msg += fmt.Sprintf(", webhook attempts in flight included (%s at most: delivery_timeout)", timeout)
		}
		log.Info(msg)
	})
	defer func() {
		if !stopLog() {
			<-logged // its own goroutine writes it: before "getpaid stopped", and before serve returns
		}
	}()
	access := accessLog(log, srv.handler, false)
	if srv.obs.tracer != nil {
		access = accessLog(srv.log, srv.handler, true) // lines with their trace ids
	}
	return serveUntilDone(ctx, ln, access, background(srv, log, interval), srv.cfg.Limits.server, writeTimeout(srv.cfg))
}

// background is serve's background work: the engine's, every interval,
// and, on a database whose clock is not this process's (PostgreSQL,
// getpaid.ClockReader), a check of this process's clock against it at
// start and then every minute (health.ClockWatch: an error logged while
// they are apart, getpaid_clock_offset_seconds).
func background(srv *server, log *slog.Logger, interval time.Duration) func(context.Context) {
	cr, ok := srv.store.(getpaid.ClockReader)
	if !ok {
		return func(ctx context.Context) { srv.engine.Run(ctx, interval) }
	}
	w := health.NewClockWatch(health.ClockConfig{Clock: cr, Observe: srv.obs.metrics.ObserveClockOffset, Logger: log})
	return func(ctx context.Context) {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Run(ctx, time.Minute)
		}()
		srv.engine.Run(ctx, interval)
		wg.Wait()
	}
}

// writeTimeout lets a request's handling and answer take longer than
// serveUntilDone's minute when a backend's timeout asks for it: a create or
// a money operation may make two broker calls (a token first), each up to
// the timeout, and past WriteTimeout net/http drops the connection without
// the answer (a created payment or a refund done, answered with nothing).
func writeTimeout(c *fileConfig) func(*http.Server) {
	longest, _, _ := longestBrokerTimeout(c) // checked by then (checkConfig)
	need := times(2, longest)
	if need+30*time.Second > need {
		need += 30 * time.Second // the store, and the answer's way to the client
	}
	return func(hs *http.Server) {
		if longest > 0 && need > hs.WriteTimeout {
			hs.WriteTimeout = need
		}
	}
}

// serveUntilDone serves h on ln until ctx ends, running bg beside it, then
// shuts down gracefully: it stops taking requests, lets those in flight
// finish (10 s at most), and waits for bg to return. Headers must arrive
// within 10 s and be at most 16 KiB (tune may change that), a request
// within 30 s, and its answer be written within a minute of its headers
// (tune may change that too: serve's writeTimeout).
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, bg func(context.Context), tune ...func(*http.Server)) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		DisableGeneralOptionsHandler: true} // OPTIONS * reaches h, which gives it the headers every answer carries
	for _, f := range tune {
		f(hs)
	}
	withHeaderLimit(hs)
	bgCtx, cancel := context.WithCancel(ctx)
	bgDone := make(chan struct{})
	defer func() {
		cancel()
		<-bgDone
	}()
	if bg != nil {
		go func() {
			defer close(bgDone)
			bg(bgCtx)
		}()
	} else {
		close(bgDone)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if err := hs.Shutdown(shut); err != nil {
		_ = hs.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			// A money operation among them is in doubt, not lost: the
			// reconciler takes it up after the restart.
			return fmt.Errorf("shutdown: requests still in flight after 10 s were cut off: %w", err)
		}
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// tuneGC trades a little memory for CPU: the server's live heap is small (a
// few MiB), so collecting at 4x instead of 2x of it saves about a tenth of
// the CPU of a payment lifecycle (measured with getpaid bench), and a soft
// limit of 80 MiB bounds what that costs (the process's RSS stays around
// 125 MiB under load, SQLite's page caches included). GOGC and GOMEMLIMIT,
// when set, win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(80 << 20)
	}
}

// httpsUnreachable reports whether c requires https of the JSON API and
// the console while nothing can report it: serve speaks plain http, so only
// a trusted proxy can say a request came over https, and none is trusted.
func httpsUnreachable(c *fileConfig) bool { return c.RequireHTTPS && len(c.TrustedProxies) == 0 }

// listenOn listens on addr; an address in use says what to do about it
// ("bind: address already in use" alone did not).
func listenOn(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%w: another process listens on %s (a getpaid still running?): stop it, or choose another address", err, addr)
	}
	if ae := (*net.AddrError)(nil); errors.As(err, &ae) {
		// No port, or one out of range: say what an address looks like.
		return nil, fmt.Errorf("%w: want HOST:PORT, such as 127.0.0.1:8000 (0.0.0.0:8000 or :8000: every interface; port 0: any free one)", err)
	}
	return ln, err
}

// portOf is a listener address's port ("" when it has none).
func portOf(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return port
}

// proxyHeaderName is the header proxy_header names (X-Forwarded-For unless
// it says Forwarded).
func proxyHeaderName(h string) string {
	if strings.EqualFold(h, "Forwarded") {
		return "Forwarded"
	}
	return "X-Forwarded-For"
}
