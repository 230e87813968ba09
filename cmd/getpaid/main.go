// Command getpaid runs getpaid as a standalone payment server, a demo shop,
// broker simulators, and the tools around them.
//
//	getpaid demo [--data DIR] [--addr HOST:PORT] [--base-url URL]
//	getpaid serve --config getpaid.yaml
//	getpaid migrate --config getpaid.yaml
//	getpaid backends [--config getpaid.yaml]
//	getpaid config BACKEND --base-url URL | --config getpaid.yaml
//	getpaid callback check --config getpaid.yaml --backend NAME [--header "K: V"]... < body
//	getpaid operations list|show|check|resolve ...
//	getpaid events list|show|replay|backfill|discard ...
//	getpaid simulate BROKER [--addr HOST:PORT] [--base-url URL]
//	getpaid bench [--duration 5s] [--concurrency 1,8,32] [--database URL] [--servers 1,3]
//	getpaid admin passwd < password
//	getpaid admin seed --config getpaid.yaml --count 1000000
//	getpaid version
//
// Every command answers --help with its flags and an example.
//
// This package (and, for the demo, examples/shop, which wires the dummy
// broker) is the only place where concrete stores and brokers are wired
// together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
)

const usage = `getpaid: one API over many payment brokers

Usage:
  getpaid demo [--data DIR] [--addr HOST:PORT] [--base-url URL]
                                                    run the demo shop (SQLite, no setup)
  getpaid serve --config FILE                       run the payment server (JSON API)
  getpaid migrate --config FILE                     apply database migrations (serve does too, on SQLite)
  getpaid backends [--config FILE]                  list backends and their currencies
  getpaid config BACKEND --base-url URL | --config FILE
                                                    print what to enter in the broker's panel
  getpaid callback check --config FILE --backend NAME [--header "K: V"]... < body
                                                    verify a captured callback; changes nothing
  getpaid operations list|show|check|resolve ...    money operations: what was asked of brokers, resolve doubt
  getpaid events list|show|replay|backfill|discard ...
                                                    events and their deliveries to webhooks and listeners
  getpaid simulate BROKER [--addr HOST:PORT]        run a broker simulator (payu, przelewy24, dotpay, tpay, transferuj)
  getpaid bench [--duration D] [--concurrency 1,8,32] [--target URL] [--database URL] [--servers 1,3]
                                                    measure full payment lifecycles over HTTP
  getpaid admin passwd|seed ...                     operator console tools: hash a password, seed a benchmark database
  getpaid version                                   print getpaid's version

Every command takes --help (or: getpaid help COMMAND), which lists its flags and an example.
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
	case "version", "--version", "-version", "-v":
		if extra := args[1:]; len(extra) == 1 && slices.Contains([]string{"-h", "-help", "--help"}, extra[0]) {
			fmt.Fprint(stdout, newFlags("version", "", "getpaid version").help())
			return 0
		} else if len(extra) > 0 {
			fmt.Fprintf(stderr, "getpaid version: unexpected argument %q (it takes none)\n", extra[0])
			return 2
		}
		fmt.Fprintln(stdout, "getpaid", version())
		return 0
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout, stderr)
	case "backends":
		err = cmdBackends(args[1:], stdout, stderr)
	case "config":
		err = cmdConfig(args[1:], stdout, stderr)
	case "callback":
		err = cmdCallback(ctx, args[1:], stdin, stdout, stderr)
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
		if len(args) > 1 && args[0] == "help" && args[1] != "help" {
			// getpaid help serve: that command's help.
			return run(ctx, append(slices.Clone(args[1:]), "--help"), stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	default:
		hint := ""
		if near := nearest(args[0], commands); near != "" {
			hint = " (did you mean " + near + "?)"
		}
		fmt.Fprintf(stderr, "getpaid: unknown command %q%s\n\n%s", args[0], hint, usage)
		return 2
	}
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stdout, termLines(ee.msg)) // it may quote a broker's words
		}
		return ee.code
	}
	var he *helpError
	if errors.As(err, &he) {
		fmt.Fprint(stdout, he.text)
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "getpaid %s: %s\n(getpaid %s --help lists its flags)\n", ue.cmd, ue.msg, ue.cmd)
		return 2
	}
	fmt.Fprintln(stderr, "getpaid:", termLines(err.Error()))
	return 1
}

// commands are the commands usage lists, for the nearest to a misspelt one.
var commands = []string{"demo", "serve", "migrate", "backends", "config", "callback", "operations", "events", "simulate", "bench", "admin", "version", "help"}

// nearest is the one of names closest to word, two edits at most (a
// letter missing, added, changed, or two swapped), or "".
func nearest(word string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(word, n); d < bestD && d < len(word) {
			best, bestD = n, d
		}
	}
	return best
}

// version is the module version getpaid was built as ("(devel)" from a
// checkout), with the VCS revision when the build recorded it.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v + " " + bi.GoVersion
}

// helpError is --help: its text goes to standard output, exit status 0.
type helpError struct{ text string }

func (e *helpError) Error() string { return "help requested" }

// usageError is a command used wrongly: said once on standard error, with
// where to look, exit status 2.
type usageError struct{ cmd, msg string }

func (e *usageError) Error() string { return e.cmd + ": " + e.msg }

// flags is a subcommand's flag set with what its help shows.
type flags struct {
	*flag.FlagSet
	synopsis, example string
}

// newFlags is a subcommand's flag set. Its help (--help) shows synopsis,
// every flag and an example; parse errors are reported once, by run.
func newFlags(name, synopsis, example string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, synopsis: synopsis, example: example}
}

// parse parses a subcommand's flags. --help answers with the help text; a
// bad flag or a stray positional argument (which would otherwise silently
// end flag parsing) is a usage error.
func (f *flags) parse(args []string) error {
	if name := f.twice(args); name != "" {
		return f.usage("--%s is given twice: give it once (the last one would win)", name)
	}
	err := f.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return &helpError{text: f.help()}
	}
	if err != nil {
		msg := f.wanted(dashes(err))
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: --"); ok {
			var names []string
			f.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
			if near := nearest(name, names); near != "" {
				msg += " (did you mean --" + near + "?)"
			}
		}
		return &usageError{cmd: f.Name(), msg: msg}
	}
	if f.NArg() > 0 {
		return &usageError{cmd: f.Name(), msg: fmt.Sprintf("unexpected argument %q (flags come as --name value; see the usage)", f.Arg(0))}
	}
	return nil
}

// repeatable marks a flag's value that may be given several times
// (callback check's --header).
type repeatable interface{ repeatable() }

// twice is the name of a flag args give more than once (of those that are
// not repeatable), or "": the flag package keeps the last one in silence.
func (f *flags) twice(args []string) string {
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue // a positional argument
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		fl := f.Lookup(name)
		if fl == nil {
			continue // Parse says it is unknown
		}
		if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) {
			i++ // its value is the next argument
		}
		if _, ok := fl.Value.(repeatable); ok {
			continue
		}
		if seen[name] {
			return name
		}
		seen[name] = true
	}
	return ""
}

// flagName is a flag as Go's flag package names it in its errors: one dash.
var flagName = regexp.MustCompile(`(: |flag |for )-([A-Za-z][A-Za-z0-9_-]*)`)

// badValue is the flag package's error for a value it could not parse,
// which says "parse error" and no more.
var badValue = regexp.MustCompile(`for (?:flag )?--([A-Za-z][A-Za-z0-9_-]*): parse error$`)

// wanted is msg, a flag package error with its flags written as the usage
// writes them, with "parse error" replaced by what the flag takes.
func (f *flags) wanted(msg string) string {
	m := badValue.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	fl := f.Lookup(msg[m[2]:m[3]])
	if fl == nil {
		return msg
	}
	g, ok := fl.Value.(flag.Getter)
	if !ok {
		return msg
	}
	var want string
	switch g.Get().(type) {
	case time.Duration:
		want = "want a duration such as 2s, 500ms or 1m"
	case bool:
		want = "want true or false"
	case int, int64, uint, uint64:
		want = "want a whole number"
	case float64:
		want = "want a number"
	default:
		return msg
	}
	return strings.TrimSuffix(msg, "parse error") + want
}

// dashes is a flag package error with the flags written as the usage text
// writes them (--name, not -name).
func dashes(err error) string {
	return flagName.ReplaceAllString(err.Error(), "$1--$2")
}

// positional takes the argument a subcommand expects before its flags
// (getpaid config BACKEND, simulate BROKER, ...): --help there answers with
// the help text, and a flag or nothing there is a usage error naming what.
func (f *flags) positional(args []string, what string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, f.usage("%s comes first", what)
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return "", nil, &helpError{text: f.help()}
	}
	if strings.HasPrefix(args[0], "-") {
		return "", nil, f.usage("%s comes first, before %s", what, args[0])
	}
	return args[0], args[1:], nil
}

// parseWithID parses a subcommand's flags around one positional argument,
// an id, which may come before, between or after them (getpaid events show
// ID --config X, or show --config X ID). Without one it is a usage error
// naming what when required; an argument more is one too.
func (f *flags) parseWithID(args []string, what string, required bool) (string, error) {
	if name := f.twice(args); name != "" {
		return "", f.usage("--%s is given twice: give it once (the last one would win)", name)
	}
	var id string
	given := false
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args, given = args[0], args[1:], true
	} else {
		// Flags first: Parse stops at the id; the flags after it follow.
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return "", &helpError{text: f.help()}
		}
		if err != nil {
			return "", &usageError{cmd: f.Name(), msg: dashes(err)}
		}
		if f.NArg() > 0 {
			id, given = f.Arg(0), true
		}
		args = f.Args()
		if len(args) > 0 {
			args = args[1:]
		}
	}
	if err := f.parse(args); err != nil {
		return "", err
	}
	if given && strings.TrimSpace(id) == "" {
		// "replay "$ID" --dead" with $ID unset: not every event's.
		return "", f.usage("%s is empty: give one (an unset shell variable?)", what)
	}
	if id == "" && required {
		return "", f.usage("%s is missing", what)
	}
	return id, nil
}

// takes refuses a flag set on the command line that verb does not take
// (--config aside, which every verb takes): a flag of another verb of the
// subcommand would be ignored in silence.
func (f *flags) takes(verb string, names ...string) error {
	var other string
	f.Visit(func(fl *flag.Flag) {
		if other == "" && fl.Name != "config" && !slices.Contains(names, fl.Name) {
			other = fl.Name
		}
	})
	if other == "" {
		return nil
	}
	what := "no flag but --config"
	if len(names) > 0 {
		what = "--" + strings.Join(names, ", --")
	}
	return f.usage("--%s is not for %s (it takes %s)", other, verb, what)
}

// givenEmpty refuses a filter among names given empty or blank (--endpoint
// "$EP" with EP unset): left out, it means every one; given empty, it is a
// mistake, not "every one", as the JSON API's filters are.
func (f *flags) givenEmpty(names ...string) error {
	var empty string
	f.Visit(func(fl *flag.Flag) {
		if empty == "" && slices.Contains(names, fl.Name) && strings.TrimSpace(fl.Value.String()) == "" {
			empty = fl.Name
		}
	})
	if empty == "" {
		return nil
	}
	return f.usage("--%s is empty: give a value, or leave the flag out", empty)
}

// given says whether flag name was set on the command line (to anything,
// the empty string included).
func (f *flags) given(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// usage is a usage error of this subcommand.
func (f *flags) usage(format string, a ...any) error {
	return &usageError{cmd: f.Name(), msg: fmt.Sprintf(format, a...)}
}

// help renders a subcommand's help: usage line, flags, example.
func (f *flags) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: getpaid %s\n\nFlags:\n", strings.TrimSpace(f.Name()+" "+f.synopsis))
	n := 0
	f.VisitAll(func(f *flag.Flag) {
		n++
		name, help := flag.UnquoteUsage(f)
		fmt.Fprintf(&b, "  --%s", f.Name)
		if name != "" {
			fmt.Fprintf(&b, " %s", name)
		}
		fmt.Fprintf(&b, "\n        %s", help)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	})
	if n == 0 {
		b.WriteString("  none\n")
	}
	if f.example != "" {
		fmt.Fprintf(&b, "\nExample:\n  %s\n", f.example)
	}
	return b.String()
}
