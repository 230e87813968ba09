package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
)

// cmdSimulate runs a broker simulator standalone, so a merchant can test an
// integration offline: point the backend's api_url at it.
func cmdSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("simulate: usage: getpaid simulate BROKER --addr HOST:PORT [--settle-after 2s] [--retry-unit 1s]")
	}
	name := args[0]
	fs := newFlags("simulate", stderr)
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on")
	o := defaultSimOptions()
	fs.DurationVar(&o.settleAfter, "settle-after", o.settleAfter, "how long an accepted refund (and a Dotpay payment by transfer) stays pending before it finishes")
	fs.DurationVar(&o.retryUnit, "retry-unit", o.retryUnit, "Przelewy24: one minute of its notification schedule (3, 5, 15, ... minutes)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if o.settleAfter <= 0 || o.retryUnit <= 0 {
		return fmt.Errorf("simulate: --settle-after and --retry-unit must be positive")
	}
	sim, settings, err := newSimulator(name, o)
	if err != nil {
		return err
	}
	if sim.close != nil {
		defer sim.close()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
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
	return serveUntilDone(ctx, ln, sim.handler, nil)
}
