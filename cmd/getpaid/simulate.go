package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// cmdSimulate runs a broker simulator standalone, so a merchant can test an
// integration offline: point the backend's api_url at it.
func cmdSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", "BROKER [--addr HOST:PORT] [--base-url URL] [--settle-after 2s] [--retry-unit 1s]",
		"getpaid simulate payu --addr 0.0.0.0:9000 --base-url http://sim.lan:9000")
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on (0.0.0.0:9000: every interface)")
	baseURL := fs.String("base-url", "", "URL the simulator is reached at, for its links and the backend's api_url (default http://ADDR)")
	o := defaultSimOptions()
	fs.DurationVar(&o.settleAfter, "settle-after", o.settleAfter, "how long an accepted refund (and a Dotpay payment by transfer) stays pending before it finishes")
	fs.DurationVar(&o.retryUnit, "retry-unit", o.retryUnit, "one minute of the notification retry schedules (PayU 1, 2, 5, ... minutes up to 72 h; Przelewy24 3, 5, 15, ... minutes; Tpay, Transferuj, Dotpay, which publish none: 1, 2, 4, ... minutes, 30 attempts)")
	name, rest, err := fs.positional(args, "the broker ("+strings.Join(simulatorNames(), ", ")+")")
	if err != nil {
		return err
	}
	if err := fs.parse(rest); err != nil {
		return err
	}
	if !slices.Contains(simulatorNames(), name) {
		return fs.usage("no simulator for %q (have: %s)", name, strings.Join(simulatorNames(), ", "))
	}
	if o.settleAfter <= 0 || o.retryUnit <= 0 {
		return fs.usage("--settle-after and --retry-unit must be positive")
	}
	if *baseURL != "" {
		if err := checkBaseURL(*baseURL); err != nil {
			return fs.usage("--base-url: %v", err)
		}
	}
	sim, settings, err := newSimulator(name, o)
	if err != nil {
		return err
	}
	if sim.close != nil {
		defer sim.close()
	}
	ln, err := listenOn(*addr)
	if err != nil {
		return err
	}
	url := strings.TrimRight(*baseURL, "/")
	if url == "" {
		url = listenURL(ln.Addr())
	}
	sim.setBase(url)
	sim.pointAt(settings, url)
	block := simSettings(name, settings)
	fmt.Fprintf(stdout, "%s simulator at %s\nsettings for getpaid.yaml:\n%s", name, url, block)
	h := sim.handler
	if !sim.rootTaken {
		h = simulatorIndex(name, block, h)
	}
	return serveUntilDone(ctx, ln, simulatorHandler(h, urlPath(url)), nil)
}

// simSettings is the backends: block that points getpaid at a simulator.
func simSettings(name string, settings map[string]any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "backends:\n  %s:\n", name)
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "    %s: %v\n", k, settings[k])
	}
	return b.String()
}

// simulatorIndex answers the simulator's root, the address it says it is
// at (opened in a browser, it was "404 page not found"), with what the
// simulator is and the settings pointing getpaid at it.
func simulatorIndex(name, settings string, h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "getpaid's %s simulator: the broker's API and payment pages, offline, with test credentials.\n\n"+
			"Point getpaid at it (getpaid.yaml):\n%s\n"+
			"Buyers reach its payment pages through getpaid: create a payment and follow its redirect. Nothing here takes real money.\n",
			name, settings)
	})
	mux.Handle("/", h)
	return mux
}

// simulatorHandler serves a simulator's handler under path (its base URL's,
// "" for none, as a proxy forwards it), every answer with the strict
// headers, those its mux makes itself (a redirect to a cleaned path)
// included; its pages set their own policy. The path without its slash (the
// base URL as printed, where Transferuj's form is posted) is the root: cut
// to "", the simulator's mux redirected it to "/", outside the path.
func simulatorHandler(h http.Handler, path string) http.Handler {
	if path != "" {
		inner := http.StripPrefix(path, h)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == path {
				r2 := new(http.Request)
				*r2 = *r
				r2.URL = new(url.URL)
				*r2.URL = *r.URL
				r2.URL.Path, r2.URL.RawPath = path+"/", ""
				r = r2
			}
			inner.ServeHTTP(w, r)
		})
	}
	return strict(h)
}
