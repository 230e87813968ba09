package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/examples/shop"
	"github.com/getpaid-go/getpaid/sqlite"
)

// cmdDemo runs the demo shop on one SQLite file, with the dummy broker and the
// simulators of the real brokers, and nothing to set up. Everything (shop,
// getpaid, simulators) is served on one address, so one published port is
// enough in a container.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "[--data DIR] [--addr HOST:PORT] [--base-url URL]",
		"getpaid demo --addr 0.0.0.0:8000 --base-url http://shop.lan:8000")
	data := fs.String("data", "getpaid-data", "folder for the demo's SQLite file (created if missing)")
	addr := fs.String("addr", "127.0.0.1:8000", "address to listen on (0.0.0.0:8000: every interface)")
	baseURL := fs.String("base-url", "", "URL buyers' browsers reach the demo at (default http://ADDR, localhost when ADDR is every interface); the simulated brokers call it too")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *baseURL != "" {
		if err := checkBaseURL(*baseURL); err != nil {
			return fs.usage("--base-url: %v", err)
		}
		if u, _ := url.Parse(*baseURL); u.Path != "" && u.Path != "/" {
			return fs.usage("--base-url %s: the demo is served at the root of its address; give a URL without a path", *baseURL)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ln, err := listenOn(*addr)
	if err != nil {
		return fmt.Errorf("demo: --addr: %w", err)
	}
	// The folder is made once the address is ours: a demo that cannot
	// start leaves nothing behind.
	if err := os.MkdirAll(*data, 0o755); err != nil {
		ln.Close()
		return fmt.Errorf("demo: --data: %w", err)
	}
	base := strings.TrimRight(*baseURL, "/")
	if base == "" {
		base = listenURL(ln.Addr())
	}
	dbPath := filepath.Join(*data, "getpaid.db")
	app, cleanup, err := startDemo(ctx, dbPath, base, log)
	if err != nil {
		ln.Close()
		if ctx.Err() != nil {
			// Ctrl+C or SIGTERM while the SQLite file was opened or
			// migrated: a stop asked for, as one once serving is, not
			// the file's failure ("context canceled", "interrupted").
			fmt.Fprintf(stdout, "getpaid demo stopped while starting: a signal arrived before it served (its data stays in %s)\n", dbPath)
			return nil
		}
		if errors.Is(err, sqlite.ErrNotDatabase) {
			// The demo names its file itself: the advice is about --data.
			return fmt.Errorf("demo: %s is not a SQLite database: move it away, or start the demo with another --data folder", dbPath)
		}
		return err
	}
	defer cleanup()
	fmt.Fprintf(stdout, "getpaid demo shop: %s\n(listening on %s; data in %s; press Ctrl+C to stop)\n", base, ln.Addr(), dbPath)
	if *baseURL == "" && isUnspecified(ln.Addr()) {
		fmt.Fprintf(stdout, "Listening on every interface: from another machine, start it with --base-url http://THIS-HOST:%d so links point here.\n", ln.Addr().(*net.TCPAddr).Port)
	}
	h := accessLog(log, app.Handler, false)
	token := rand.Text()
	if *baseURL != "" {
		h = answerSelfCheck(token, h)
	}
	err = serveUntilDone(ctx, ln, h, func(ctx context.Context) {
		if *baseURL != "" {
			go checkSelf(ctx, base, token, log)
		}
		app.Engine.Run(ctx, 10*time.Second)
	})
	if err == nil {
		// Ctrl+C: said, as serve says it stopped.
		fmt.Fprintf(stdout, "getpaid demo stopped (its data stays in %s)\n", dbPath)
	}
	return err
}

// selfCheckPath is where the demo answers its own check that --base-url
// reaches it, with a token only this process knows.
const selfCheckPath = "/.getpaid-demo-self-check"

func answerSelfCheck(token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == selfCheckPath {
			fmt.Fprint(w, token)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// checkSelf asks the demo at base for its token. The simulated brokers
// call the shop at base, as real brokers call a shop, so a base this
// machine cannot reach (a name only browsers resolve, a port published as
// another in a container) leaves simulator payments unstarted and dummy
// payments unconfirmed: said loudly, once, rather than in silence.
func checkSelf(ctx context.Context, base, token string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+selfCheckPath, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		if err != nil {
			return err
		}
		if string(b) != token {
			return fmt.Errorf("another server answers there (HTTP %d)", resp.StatusCode)
		}
		return nil
	}()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return // the demo is stopping
	}
	if err != nil {
		log.Warn("--base-url does not reach this demo from this machine: the simulated brokers call the shop there, as real brokers do, "+
			"so payments through them will not start and none will be confirmed; give a URL that reaches this demo from here too "+
			"(in a container, publish the port under the same number inside and out)", "base_url", base, "err", err)
		return
	}
	log.Info("--base-url reaches this demo: the simulated brokers can call it", "base_url", base)
}

// listenURL is the http URL of a listening address; an unspecified host
// (every interface) is written as localhost.
func listenURL(a net.Addr) string {
	if isUnspecified(a) {
		return fmt.Sprintf("http://localhost:%d", a.(*net.TCPAddr).Port)
	}
	return "http://" + a.String()
}

func isUnspecified(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsUnspecified()
}

// demoOptions tune the demo for tests.
type demoOptions struct {
	confirmWait, refresh time.Duration
}

// startDemo wires the demo shop at base over the SQLite file dbPath. Its
// Handler serves the shop and, under /sim/NAME/, the simulator of every
// real broker.
func startDemo(ctx context.Context, dbPath, base string, log *slog.Logger) (*shop.App, func(), error) {
	return startDemoWith(ctx, dbPath, base, log, demoOptions{})
}

func startDemoWith(ctx context.Context, dbPath, base string, log *slog.Logger, o demoOptions) (*shop.App, func(), error) {
	store, err := sqlite.Open(ctx, dbPath, sqlite.Options{})
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlite.OpenDB(dbPath, sqlite.Options{})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	sims, simHandler, stopSims, err := demoSimulators(base)
	if err != nil {
		db.Close()
		store.Close()
		return nil, nil, err
	}
	app, err := shop.NewApp(ctx, shop.Options{DB: db, Store: store, BaseURL: base, DummySecret: "demo-dummy-secret", Extra: sims, Logger: log,
		ConfirmWait: o.confirmWait, Refresh: o.refresh})
	if err != nil {
		stopSims()
		db.Close()
		store.Close()
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(simPrefix, simHandler)
	mux.Handle("/", app.Handler)
	// Every answer carries the strict headers, those the muxes make
	// themselves included (a redirect to a cleaned path, or to the
	// simulator's form address with its slash); pages set their own.
	app.Handler = strict(mux)
	return app, func() {
		app.Engine.Close()
		app.Dummy.Close()
		stopSims()
		db.Close()
		store.Close()
	}, nil
}

// simPrefix is where the demo serves the simulators: /sim/payu/, ...
const simPrefix = "/sim/"

// demoSimulators builds the simulator of every real broker, served under
// base/sim/NAME/ by the returned handler, and backends pointed at them.
func demoSimulators(base string) ([]getpaid.Backend, http.Handler, func(), error) {
	var stops []func()
	stopAll := func() {
		for _, s := range stops {
			s()
		}
	}
	mux := http.NewServeMux()
	var out []getpaid.Backend
	for _, name := range simulatorNames() {
		sim, settings, err := newSimulator(name, defaultSimOptions())
		if err != nil {
			stopAll()
			return nil, nil, nil, err
		}
		if sim.close != nil {
			stops = append(stops, sim.close)
		}
		prefix := simPrefix + name
		url := base + prefix
		sim.setBase(url)
		sim.pointAt(settings, url)
		h := sim.handler
		if !sim.rootTaken {
			h = simulatorIndex(name, simSettings(name, settings), h)
		}
		mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
		var node yaml.Node
		if err := node.Encode(settings); err != nil {
			stopAll()
			return nil, nil, nil, err
		}
		k := backendKinds()[name]
		b, err := k.build(name, node)
		if err != nil {
			stopAll()
			return nil, nil, nil, fmt.Errorf("demo: %s: %w", name, err)
		}
		out = append(out, getpaid.Backend{Name: name, Kind: name, Title: k.title + " (simulator)", Broker: b})
	}
	return out, mux, stopAll, nil
}
