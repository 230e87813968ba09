package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
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
	fmt.Fprintf(stdout, "%s simulator at %s\nsettings for getpaid.yaml:\n  backends:\n    %s:\n", name, url, name)
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "      %s: %v\n", k, settings[k])
	}
	return serveUntilDone(ctx, ln, simulatorHandler(sim.handler, urlPath(url)), nil)
}

// simulatorHandler serves a simulator's handler under path (its base URL's,
// "" for none, as a proxy forwards it), every answer with the strict
// headers, those its mux makes itself (a redirect to a cleaned path)
// included; its pages set their own policy.
func simulatorHandler(h http.Handler, path string) http.Handler {
	if path != "" {
		h = http.StripPrefix(path, h)
	}
	return strict(h)
}
