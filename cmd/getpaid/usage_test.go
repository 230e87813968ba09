package main

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// Every command answers --help on standard output with exit status 0,
// listing its flags and an example.
func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args  []string
		flags []string
	}{
		{[]string{"demo", "--help"}, []string{"--data", "--addr", "--base-url"}},
		{[]string{"serve", "-h"}, []string{"--config", "--quiet"}},
		{[]string{"migrate", "--help"}, []string{"--config"}},
		{[]string{"backends", "--help"}, []string{"--config"}},
		{[]string{"config", "--help"}, []string{"--base-url", "--config"}},
		{[]string{"config", "payu", "--help"}, []string{"--base-url", "--config"}},
		{[]string{"callback", "--help"}, []string{"--backend", "--header", "--remote-ip"}},
		{[]string{"callback", "check", "--help"}, []string{"--backend", "--header", "--remote-ip"}},
		{[]string{"simulate", "--help"}, []string{"--addr", "--base-url", "--settle-after", "--retry-unit"}},
		{[]string{"operations", "--help"}, []string{"--config", "--state", "--as", "--note"}},
		{[]string{"operations", "list", "--help"}, []string{"--state", "--kind", "--payment", "--flagged"}},
		{[]string{"operations", "resolve", "--help"}, []string{"--as", "--note", "--by"}},
		{[]string{"operations", "show", "--help"}, []string{"--config"}},
		{[]string{"events", "--help"}, []string{"--config", "--status", "--dead"}},
		{[]string{"events", "show", "--help"}, []string{"--config"}},
		{[]string{"events", "replay", "--help"}, []string{"--dead", "--waiting", "--endpoint"}},
		{[]string{"admin", "passwd", "--help"}, nil},
		{[]string{"admin", "seed", "--help"}, []string{"--config", "--count", "--days"}},
		{[]string{"bench", "--help"}, []string{"--duration", "--concurrency", "--target"}},
		// "getpaid version --help" printed the version, not its help.
		{[]string{"version", "--help"}, nil},
		{[]string{"help", "version"}, nil},
		// "getpaid help serve" printed the list of commands.
		{[]string{"help", "serve"}, []string{"--config", "--quiet"}},
		{[]string{"help", "events", "replay"}, []string{"--dead", "--waiting", "--endpoint"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", tt.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("code %d, stderr %q", code, errOut)
			}
			cmd := tt.args[0]
			if cmd == "help" {
				cmd = tt.args[1]
			}
			for _, want := range []string{"Usage: getpaid " + cmd, "Flags:", "Example:\n  getpaid " + cmd} {
				if !strings.Contains(out, want) {
					t.Fatalf("help lacks %q:\n%s", want, out)
				}
			}
			// Flags are looked for in the flag list, not in the usage line
			// or the example, which name some of them too.
			_, list, _ := strings.Cut(out, "Flags:")
			list, _, _ = strings.Cut(list, "Example:")
			for _, want := range tt.flags {
				if !strings.Contains(list, want) {
					t.Fatalf("the flag list lacks %q:\n%s", want, out)
				}
			}
		})
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		if code, out, _ := runCLI(t, "", args...); code != 0 || !strings.Contains(out, "getpaid demo") {
			t.Errorf("%v: code %d out %q", args, code, out)
		}
	}
	for _, args := range [][]string{{"admin", "--help"}, {"admin", "-h"}} {
		if code, out, errOut := runCLI(t, "", args...); code != 0 || errOut != "" || !strings.Contains(out, "getpaid admin passwd") {
			t.Errorf("%v: code %d out %q stderr %q", args, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if code, out, _ := runCLI(t, "", args...); code != 0 || !strings.HasPrefix(out, "getpaid ") {
			t.Errorf("%v: code %d out %q", args, code, out)
		}
	}
}

// A command used wrongly says so once, on standard error, with exit
// status 2, and does nothing: no flag is silently ignored.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"demo", "--nope"}, "flag provided but not defined: --nope"},
		{"a misspelt command", []string{"demoo"}, `unknown command "demoo" (did you mean demo?)`},
		{"a command with a letter swapped", []string{"sreve", "--config", "x.yaml"}, `unknown command "sreve" (did you mean serve?)`},
		{"a misspelt flag", []string{"serve", "--confg", "x.yaml"}, "flag provided but not defined: --confg (did you mean --config?)"},
		{"a flag without its value", []string{"demo", "--addr"}, "flag needs an argument: --addr"},
		{"a flag with a bad value", []string{"bench", "--duration", "soon"}, `invalid value "soon" for flag --duration`},
		{"stray argument before flags", []string{"demo", "extra", "--addr", "127.0.0.1:1"}, `unexpected argument "extra"`},
		{"stray argument after flags", []string{"migrate", "--config", "x.yaml", "now"}, `unexpected argument "now"`},
		{"flag without value", []string{"serve", "--config"}, "flag needs an argument"},
		// The last one won, in silence.
		{"a flag twice", []string{"serve", "--config", "a.yaml", "--config=b.yaml"}, "--config is given twice"},
		{"a flag twice around an id", []string{"events", "show", "--config", "a.yaml", "evt_1", "-config", "b.yaml"}, "--config is given twice"},
		{"a bool flag twice", []string{"serve", "--quiet", "--quiet=false"}, "--quiet is given twice"},
		{"bad duration", []string{"simulate", "payu", "--settle-after", "soon"}, "invalid value"},
		// Go's flag package says "parse error" alone: say what to write.
		{"a duration without its unit", []string{"simulate", "payu", "--settle-after", "2"}, `invalid value "2" for flag --settle-after: want a duration such as 2s, 500ms or 1m`},
		{"a count that is no number", []string{"admin", "seed", "--config", "x.yaml", "--count", "many"}, `invalid value "many" for flag --count: want a whole number`},
		{"a rate that is no number", []string{"bench", "--rate", "fast"}, `invalid value "fast" for flag --rate: want a number`},
		{"a bool flag with a word", []string{"serve", "--quiet=yes"}, `invalid boolean value "yes" for --quiet: want true or false`},
		{"simulate without broker", []string{"simulate", "--addr", "127.0.0.1:1"}, "the broker"},
		{"config without backend", []string{"config"}, "the backend"},
		{"config without base url", []string{"config", "payu"}, "--base-url is required"},
		{"config of an unknown kind", []string{"config", "paypal", "--base-url", "https://pay.example.com"}, `unknown backend kind "paypal"`},
		{"config with a relative base url", []string{"config", "payu", "--base-url", "pay.example.com"}, "absolute"},
		// host:port without a scheme: url.Parse's "first path segment in
		// URL cannot contain colon" alone, with no word of what to write.
		{"config with a base url without its scheme", []string{"config", "payu", "--base-url", "127.0.0.1:8000"}, "want an absolute http:// or https:// URL (http://127.0.0.1:8000?)"},
		{"demo with a base url without its scheme", []string{"demo", "--base-url", "localhost:8000", "--addr", "127.0.0.1:0"}, "want an absolute http:// or https:// URL (http://localhost:8000?)"},
		{"callback without check", []string{"callback", "verify"}, `unknown "verify"`},
		{"callback check without backend", []string{"callback", "check", "--config", "x.yaml"}, "--backend is required"},
		{"operations unknown verb", []string{"operations", "delete"}, `unknown "delete"`},
		{"operations show without id", []string{"operations", "show", "--config", "x.yaml"}, "the operation id is missing"},
		{"events show with two ids", []string{"events", "show", "--config", "x.yaml", "evt_1", "evt_2"}, `unexpected argument "evt_2"`},
		{"operations resolve with two ids", []string{"operations", "resolve", "op_1", "--config", "x.yaml", "op_2"}, `unexpected argument "op_2"`},
		{"events replay without id", []string{"events", "replay", "--config", "x.yaml"}, "name an event id, or --dead"},
		{"events replay waiting and dead", []string{"events", "replay", "--waiting", "--dead", "--config", "x.yaml"}, "--waiting names no event"},
		{"operations list with an unknown state", []string{"operations", "list", "--state", "stuck", "--config", "x.yaml"}, `--state "stuck"`},
		// Said before the database is opened, as --state is: not the
		// engine's "engine: list operations: kind: …" with exit status 1.
		{"operations list with an unknown kind", []string{"operations", "list", "--kind", "charge", "--config", "x.yaml"}, `--kind "charge": want capture, release, cancel or refund`},
		{"operations resolve without --as", []string{"operations", "resolve", "op_1", "--note", "seen", "--config", "x.yaml"}, "--as is required"},
		{"operations resolve as neither", []string{"operations", "resolve", "op_1", "--as", "maybe", "--note", "seen", "--config", "x.yaml"}, `--as "maybe"`},
		{"operations resolve without --note", []string{"operations", "resolve", "op_1", "--as", "failed", "--config", "x.yaml"}, "--note is required"},
		// as a blank --note is: it was the engine's "engine: resolve: by:
		// say who decides" with exit status 1, once the database was open
		// --endpoint "$EP" with EP unset replayed every endpoint's dead
		// deliveries, not one's: a filter given empty is refused, as the
		// API's are
		{"events replay with an empty --endpoint", []string{"events", "replay", "--dead", "--endpoint", "", "--config", "x.yaml"}, "--endpoint is empty"},
		{"events list with an empty --payment", []string{"events", "list", "--payment=", "--config", "x.yaml"}, "--payment is empty"},
		{"operations list with an empty --payment", []string{"operations", "list", "--payment", " ", "--config", "x.yaml"}, "--payment is empty"},
		{"events discard with a blank --by", []string{"events", "discard", "--endpoint", "https://old.example/hook", "--by", " ", "--config", "x.yaml"}, "--by is blank"},
		{"operations resolve with a blank --by", []string{"operations", "resolve", "op_1", "--as", "failed", "--note", "seen", "--by", "  ", "--config", "x.yaml"}, "--by is blank"},
		// --by "$OPERATOR" with OPERATOR unset: recorded as "cli" (or,
		// for discard, "an operator") in silence, where the API refuses an
		// empty by.
		{"operations resolve with an empty --by", []string{"operations", "resolve", "op_1", "--as", "failed", "--note", "seen", "--by", "", "--config", "x.yaml"}, "--by is blank"},
		{"events discard with an empty --by", []string{"events", "discard", "--endpoint", "https://old.example/hook", "--by=", "--config", "x.yaml"}, "--by is blank"},
		// a time to come has no events: "0 events since 2062-…" read as
		// nothing missed
		{"events backfill from the future", []string{"events", "backfill", "--endpoint", "https://erp.example/hook", "--since", "2999-01-01T00:00:00Z", "--config", "x.yaml"}, `--since "2999-01-01T00:00:00Z" is in the future`},
		{"events list with an unknown status", []string{"events", "list", "--status", "ok", "--config", "x.yaml"}, `--status "ok"`},
		{"bad concurrency", []string{"bench", "--concurrency", "8,x"}, "bad --concurrency"},
		{"bench for no time", []string{"bench", "--duration", "-1s"}, "--duration -1s"},
		{"bench at a negative rate", []string{"bench", "--rate", "-5"}, "--rate -5"},
		// --database "$DSN" with DSN unset benched a fresh SQLite file,
		// --target "$URLS" servers of its own, as if left out (--duration
		// -1s: refused at once without the fix too)
		{"bench on an empty database", []string{"bench", "--database", "", "--duration", "-1s"}, "--database is empty"},
		{"bench an empty target", []string{"bench", "--target=", "--duration", "-1s"}, "--target is empty"},
		{"bench a target on a database", []string{"bench", "--target", "http://127.0.0.1:1", "--database", "sqlite:x.db"}, "--database is of the servers bench starts"},
		{"seed a negative count", []string{"admin", "seed", "--config", "x.yaml", "--count", "-5"}, "--count -5"},
		{"seed over negative days", []string{"admin", "seed", "--config", "x.yaml", "--days", "-1"}, "--days -1"},
		{"callback check from no address", []string{"callback", "check", "--config", "x.yaml", "--backend", "dummy", "--remote-ip", "notanip"}, `--remote-ip "notanip"`},
		// --remote-ip "$IP" with IP unset: "valid" without the allowlist
		// checked, for a callback serve refuses for its address
		{"callback check from an empty address", []string{"callback", "check", "--config", "x.yaml", "--backend", "dummy", "--remote-ip", ""}, "--remote-ip is empty"},
		{"version with an argument", []string{"version", "--short"}, `unexpected argument "--short"`},
		{"simulate an unknown broker", []string{"simulate", "paypal", "--addr", "127.0.0.1:0"}, `no simulator for "paypal"`},
		{"demo base url with a path", []string{"demo", "--base-url", "http://localhost:8000/shop", "--addr", "127.0.0.1:0"}, "without a path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", tt.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tt.want) {
				t.Fatalf("code %d, stdout %q, stderr %q; want exit status 2 saying %q", code, out, errOut, tt.want)
			}
			if n := strings.Count(errOut, tt.want); n != 1 {
				t.Fatalf("said %d times:\n%s", n, errOut)
			}
		})
	}
}

// getpaid --help names every subcommand of events and operations that
// their own --help names: the overview is where a newcomer looks first.
func TestUsageListsSubcommands(t *testing.T) {
	t.Parallel()
	_, top, _ := runCLI(t, "", "--help")
	for _, tt := range []struct{ cmd, subs string }{
		{"events", "list|show|replay|backfill|discard"},
		{"operations", "list|show|check|resolve"},
	} {
		_, own, _ := runCLI(t, "", tt.cmd, "--help")
		for _, sub := range strings.Split(tt.subs, "|") {
			if !strings.Contains(own, sub) {
				t.Fatalf("getpaid %s --help does not name %s:\n%s", tt.cmd, sub, own)
			}
		}
		if want := "getpaid " + tt.cmd + " " + tt.subs + " "; !strings.Contains(top, want) {
			t.Errorf("getpaid --help lacks %q:\n%s", want, top)
		}
	}
}

// serve's "webhook endpoint" log line says which events an endpoint gets:
// one without events: gets all of them, which "[]" read as none.
func TestWebhookEventsLogged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		events []string
		want   string
	}{
		{nil, "all"},
		{[]string{"payment.status_changed"}, "payment.status_changed"},
		{[]string{"payment.created", "payment.status_changed"}, "payment.created,payment.status_changed"},
	}
	for _, tt := range tests {
		if got := (webhookConfig{Events: tt.events}).eventsLogged(); got != tt.want {
			t.Errorf("events %q: logged %q, want %q", tt.events, got, tt.want)
		}
	}
}

// events show says what an event did: a creation has no from (it printed
// ":  -> new"), money moving keeps the status.
func TestEventChangeShown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ev   getpaid.Event
		want string
	}{
		{getpaid.Event{Type: getpaid.EventPaymentCreated, To: getpaid.StatusNew}, "created, new"},
		{getpaid.Event{Type: getpaid.EventStatusChanged, From: getpaid.StatusPrepared, To: getpaid.StatusPaid}, "prepared -> paid"},
		{getpaid.Event{Type: getpaid.EventAmountsChanged, From: getpaid.StatusPartiallyRefunded, To: getpaid.StatusPartiallyRefunded}, "amounts changed, still partially_refunded"},
	}
	for _, tt := range tests {
		if got := eventChange(tt.ev); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.ev.Type, got, tt.want)
		}
	}
}

// callback check with a backend the config does not enable is a mistake in
// the command, not an invalid callback: said on stderr with exit status 2
// (it printed "invalid: ..." on stdout with 1, as for a forged callback).
func TestCallbackCheckUnknownBackend(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, dummyConfig)
	code, out, errOut := runCLI(t, "{}", "callback", "check", "--config", path, "--backend", "pyau")
	if code != 2 || out != "" || !strings.Contains(errOut, `--backend "pyau" is not enabled in `+path+" (enabled: dummy)") {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// config BACKEND --config FILE with a backend the file does not enable
// (a typo, or a kind whose backend is named otherwise) names those it
// does enable, as callback check does, and is a usage error (exit 2).
func TestConfigCommandUnknownBackendNamesTheEnabled(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, dummyConfig)
	code, out, errOut := runCLI(t, "", "config", "pyau", "--config", path)
	if code != 2 || out != "" || !strings.Contains(errOut, `"pyau" is not enabled in `+path+" (enabled: dummy)") {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errOut)
	}
}
