package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"time"
)

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	path := fs.String("config", "getpaid.yaml", "config file")
	quiet := fs.Bool("quiet", false, "log warnings and errors only")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file until shutdown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	c, err := loadConfig(*path)
	if err != nil {
		return err
	}
	tuneGC()
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	srv, err := buildServer(ctx, c, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Close(); err != nil {
			log.Error("shutting down", "err", err)
		}
		log.Info("getpaid stopped")
	}()
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	for _, name := range srv.engine.Registry().Names() {
		if name == "dummy" {
			log.Warn("the dummy backend is enabled: its paywall lets anyone mark payments paid for free; never enable it in production")
		}
	}
	for _, w := range c.Webhooks {
		log.Info("webhook endpoint", "url", w.URL, "events", w.Events)
	}
	log.Info("getpaid serving", "listen", ln.Addr().String(), "base_url", c.BaseURL, "backends", srv.engine.Registry().Names())
	return serveUntilDone(ctx, ln, srv.handler, func(ctx context.Context) { srv.engine.Run(ctx, 30*time.Second) }, c.Limits.server)
}

// serveUntilDone serves h on ln until ctx ends, running bg beside it, then
// shuts down gracefully: it stops taking requests, lets those in flight
// finish (10 s at most), and waits for bg to return. Headers must arrive
// within 10 s and be at most 16 KiB (tune may change that), a request
// within 30 s.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, bg func(context.Context), tune ...func(*http.Server)) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
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
// limit keeps the process well under 100 MiB. GOGC and GOMEMLIMIT, when set,
// win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(80 << 20)
	}
}
