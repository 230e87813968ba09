// Command getpaid runs getpaid as a standalone payment server, a demo shop,
// broker simulators, and the tools around them.
//
//	getpaid demo [--data DIR] [--addr HOST:PORT]
//	getpaid serve --config getpaid.yaml
//	getpaid migrate --config getpaid.yaml
//	getpaid backends [--config getpaid.yaml]
//	getpaid config BACKEND --base-url URL [--config getpaid.yaml]
//	getpaid callback check --config getpaid.yaml --backend NAME [--header "K: V"]... < body
//	getpaid operations list|show|resolve ...
//	getpaid events list|show|replay ...
//	getpaid simulate BROKER --addr HOST:PORT
//	getpaid bench [--duration 5s] [--concurrency 1,8,32] [--database URL] [--servers 1,3]
//	getpaid admin passwd < password
//	getpaid admin seed --config getpaid.yaml --count 1000000
//
// This package is the only place where concrete stores and brokers are wired together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `getpaid: one API over many payment brokers

Usage:
  getpaid demo [--data DIR] [--addr HOST:PORT]     run the demo shop (SQLite, no setup)
  getpaid serve --config FILE                       run the payment server (JSON API)
  getpaid migrate --config FILE                     apply database migrations
  getpaid backends [--config FILE]                  list backends and their currencies
  getpaid config BACKEND --base-url URL             print what to enter in the broker's panel
  getpaid callback check --config FILE --backend NAME [--header "K: V"]... < body
                                                    verify a captured callback; changes nothing
  getpaid operations list|show|resolve ...          money operations: what was asked of brokers, resolve doubt
  getpaid events list|show|replay ...               events and their deliveries to webhooks and listeners
  getpaid simulate BROKER --addr HOST:PORT          run a broker simulator (payu, przelewy24, dotpay, tpay, transferuj)
  getpaid bench [--duration D] [--concurrency 1,8,32] [--database URL] [--servers 1,3]
                                                    measure full payment lifecycles over HTTP
  getpaid admin passwd|seed ...                     operator console tools: hash a password, seed a benchmark database
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries an exit code other than 1.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout)
	case "backends":
		err = cmdBackends(args[1:], stdout)
	case "config":
		err = cmdConfig(args[1:], stdout)
	case "callback":
		err = cmdCallback(ctx, args[1:], stdin, stdout)
	case "simulate":
		err = cmdSimulate(ctx, args[1:], stdout, stderr)
	case "operations":
		err = cmdOperations(ctx, args[1:], stdout, stderr)
	case "events":
		err = cmdEvents(ctx, args[1:], stdout, stderr)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, stderr)
	case "admin":
		err = cmdAdmin(ctx, args[1:], stdin, stdout, stderr)
	case "bench-ceiling":
		err = cmdCeiling(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "getpaid: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stdout, ee.msg)
		}
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	fmt.Fprintln(stderr, "getpaid:", err)
	return 1
}

func newFlags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("getpaid "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}
