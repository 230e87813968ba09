package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// sqliteConfig is a dummy-only config on a SQLite file in dir.
// migratedRecords is sqliteConfig's file migrated (the record tools create
// no database) and opened as the record tools open it.
func migratedRecords(t *testing.T, extra string) (string, *server) {
	t.Helper()
	path := sqliteConfig(t, extra)
	if code, out, errOut := runCLI(t, "", "migrate", "--config", path); code != 0 {
		t.Fatalf("migrate: %d %s%s", code, out, errOut)
	}
	srv, err := openRecords(context.Background(), path, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return path, srv
}

func sqliteConfig(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	return writeConfig(t, `listen: 127.0.0.1:0
base_url: http://127.0.0.1:1
database: sqlite:`+filepath.Join(dir, "getpaid.db")+`
api_keys: [server-api-key-0123456789]
backends:
  dummy:
    secret: s3cret
`+extra)
}

// The operations tools list what was asked of brokers, show one, and
// resolve one in doubt with who and why.
func TestOperationsCommand(t *testing.T) {
	t.Parallel()
	path, srv := migratedRecords(t, "    fault: timeout-before\n")
	ctx := context.Background()
	p, err := srv.engine.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	// Pay on the paywall, in process.
	d := func() *dummy.Broker { b, _ := srv.reg.Get("dummy"); return b.Broker.(*dummy.Broker) }()
	u, _ := url.Parse(p.Redirect.URL)
	q := u.Query()
	q.Set("outcome", "paid")
	req := httptest.NewRequest("POST", "/choose", strings.NewReader(q.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	d.Pages().ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("paywall: %d %s", rec.Code, rec.Body)
	}
	if _, err := srv.engine.Poll(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = srv.engine.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) {
		t.Fatalf("refund with a lost answer: %v", err)
	}
	_ = srv.Close()

	code, out, errOut := runCLI(t, "", "operations", "list", "--config", path, "--state", "unknown")
	if code != 0 || !strings.Contains(out, oe.Op.ID) || !strings.Contains(out, "refund") {
		t.Fatalf("list: %d\n%s%s", code, out, errOut)
	}
	// --kind narrows the list as the API's kind does.
	if code, out, errOut := runCLI(t, "", "operations", "list", "--config", path, "--kind", "refund"); code != 0 || !strings.Contains(out, oe.Op.ID) {
		t.Fatalf("list --kind refund: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "", "operations", "list", "--config", path, "--kind", "capture"); code != 0 || strings.Contains(out, oe.Op.ID) {
		t.Fatalf("list --kind capture: %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "", "operations", "list", "--config", path, "--kind", "refunds"); code == 0 || !strings.Contains(errOut, "capture, release, cancel or refund") {
		t.Fatalf("list --kind refunds: %d %s; want it refused, naming the kinds", code, errOut)
	}
	code, out, _ = runCLI(t, "", "operations", "show", oe.Op.ID, "--config", path)
	if code != 0 || !strings.Contains(out, "unknown") || !strings.Contains(out, "10.00 PLN") {
		t.Fatalf("show: %d\n%s", code, out)
	}
	// Checked now: due at once. The tool only marks it (no server runs
	// here): it must not say a running server asks, only that one on this
	// database does, and that without one the check waits for one started.
	code, out, errOut = runCLI(t, "", "operations", "check", oe.Op.ID, "--config", path)
	if code != 0 || !strings.Contains(out, "due for a check with its broker now") || !strings.Contains(out, oe.Op.ID) {
		t.Fatalf("check: %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "the running server") || !strings.Contains(out, "a running `getpaid serve` on this database asks within seconds") ||
		!strings.Contains(out, "if none runs, the next one started asks") {
		t.Errorf("check says a server asks as if one surely ran:\n%s", out)
	}
	if code, _, errOut := runCLI(t, "", "operations", "check", oe.Op.ID, "--config", path, "--as", "failed"); code == 0 || !strings.Contains(errOut, "--as is not for check") {
		t.Fatalf("check --as: %d %s; want it refused", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "operations", "check", "op_nope", "--config", path); code == 0 || !strings.Contains(errOut, "op_nope") {
		t.Fatalf("check of an unknown operation: %d %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "operations", "resolve", oe.Op.ID, "--config", path, "--as", "failed")
	if code == 0 || !strings.Contains(errOut, "note") {
		t.Fatalf("resolve without a note: %d %s", code, errOut)
	}
	// A note or name the engine refuses is said as the flag's, without
	// the layers it went through (it said "engine: resolve: note: …").
	for _, flags := range [][]string{{"--note", "not in\tthe panel"}, {"--note", "seen", "--by", "al\x01ice"}} {
		code, _, errOut = runCLI(t, "", append([]string{"operations", "resolve", oe.Op.ID, "--config", path, "--as", "failed"}, flags...)...)
		if want := flags[len(flags)-2] + ": control character"; code != 1 || !strings.Contains(errOut, want) || strings.Contains(errOut, "engine:") {
			t.Fatalf("resolve %v: %d %s; want it refused saying %q", flags, code, errOut, want)
		}
	}
	code, out, errOut = runCLI(t, "", "operations", "resolve", oe.Op.ID, "--config", path, "--as", "failed", "--note", "not in the panel", "--by", "alice")
	if code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, "is now paid") {
		t.Fatalf("resolve: %d\n%s%s", code, out, errOut)
	}
	// Again: refused, saying it is settled and by whom (it said
	// "concurrent update conflict", which no operator was in).
	code, _, errOut = runCLI(t, "", "operations", "resolve", oe.Op.ID, "--config", path, "--as", "succeeded", "--note", "again", "--by", "bob")
	if code != 1 || !strings.Contains(errOut, "has already failed") || !strings.Contains(errOut, "alice") || strings.Contains(errOut, "concurrent") {
		t.Fatalf("resolving a settled operation: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "operations", "check", oe.Op.ID, "--config", path); code != 1 || !strings.Contains(errOut, "has already failed: nothing to check") {
		t.Fatalf("checking a settled operation: %d %s", code, errOut)
	}
	code, out, _ = runCLI(t, "", "events", "list", "--config", path)
	if code != 0 || !strings.Contains(out, "EVENT") {
		t.Fatalf("events list: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "events", "show", "evt_"+p.ID+"_v3", "--config", path)
	if code != 0 || !strings.Contains(out, "prepared -> paid") || !strings.Contains(out, `cause: "captured`) {
		t.Fatalf("events show of the paid event: %d\n%s", code, out)
	}
	// The id may come after the flags too, as Go tools take them.
	code, again, errOut := runCLI(t, "", "events", "show", "--config", path, "evt_"+p.ID+"_v3")
	if code != 0 || again != out {
		t.Fatalf("events show with the id after the flags: %d\n%s%s", code, again, errOut)
	}
	if code, again, errOut := runCLI(t, "", "operations", "show", "--config", path, oe.Op.ID); code != 0 || !strings.Contains(again, oe.Op.ID) {
		t.Fatalf("operations show with the id after the flags: %d\n%s%s", code, again, errOut)
	}
	// This config names no webhook endpoint: nothing could be replayed,
	// and the tool says why rather than "0 deliveries".
	code, out, errOut = runCLI(t, "", "events", "replay", "--waiting", "--config", path)
	if code == 0 || !strings.Contains(errOut, "no webhook endpoint") || !strings.Contains(errOut, "webhooks:") {
		t.Fatalf("events replay --waiting with no webhooks: %d\n%s%s", code, out, errOut)
	}
	// An id the database does not hold is said plainly, without the
	// layers it went through (engine, store).
	for _, args := range [][]string{
		{"operations", "show", "op_nope"}, {"operations", "resolve", "op_nope", "--as", "failed", "--note", "x"}, {"events", "show", "evt_nope"},
	} {
		code, out, errOut := runCLI(t, "", append(args, "--config", path)...)
		if code != 1 || !strings.Contains(errOut, "_nope: not found") || strings.Contains(errOut, "engine:") || strings.Contains(errOut, "sqlite:") {
			t.Fatalf("%v: %d\n%s%s", args, code, out, errOut)
		}
	}
}

func TestWebhooksConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"bad url", "webhooks:\n  - url: ftp://x\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", "webhooks[0]"},
		{"credentials in the url", "webhooks:\n  - url: https://shop:hunter2@shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", "credentials in a webhook URL"},
		{"no secret", "webhooks:\n  - url: https://shop.example/hook\n", "secret"},
		{"bad secret", "webhooks:\n  - url: https://shop.example/hook\n    secret: nope\n", "secret"},
		{"unknown event", "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n    events: [payment.paid]\n", "payment.paid"},
		{"bad duration", "expire_after: soon\n", "duration"},
		// 0 was taken as the default 10 s while the shutdown line said 0s.
		{"no delivery timeout", "delivery_timeout: 0s\n", "delivery_timeout: 0s: want a positive duration"},
		// An empty list would be read as no filter: every event sent to an
		// endpoint whose entry says it wants none.
		{"no event listed", "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n    events: []\n", "line 13: webhooks[0].events: an empty list"},
		// 0 is the brokers' 30 s, which a resume of 50 s is within.
		{"a backend timeout of 0", "  payu:\n    pos_id: \"300746\"\n    second_key: b6ca15b0d1020e8094d9b5f8d163db54\n    client_id: \"300746\"\n    client_secret: 2ee86a66e5d97e3fadc400c9f19b065d\n    timeout: 0s\n", "line 15: backends.payu.timeout: 0s: want a positive duration (leave the setting out for the default, 30s)"},
		{"resume within a timeout of centuries", "  payu:\n    pos_id: \"300746\"\n    second_key: b6ca15b0d1020e8094d9b5f8d163db54\n    client_id: \"300746\"\n    client_secret: 2ee86a66e5d97e3fadc400c9f19b065d\n    timeout: 1750000h\nresume_operations_after: 3m\n", "line 15: backends.payu.timeout: \"1750000h\": want at most 87600h (ten years)"},
		{"flag at 0", "flag_operations_after: 0s\n", "flag_operations_after: 0s: want a positive duration (leave the setting out for the default, 24h)"},
		{"resume 0 beside the dummy broker alone", "resume_operations_after: 0s\n", "resume_operations_after: 0s: want a positive duration (leave the setting out for the default, 2m)"},
		{"resume within a call's timeout", "  payu:\n    pos_id: \"300746\"\n    second_key: b6ca15b0d1020e8094d9b5f8d163db54\n    client_id: \"300746\"\n    client_secret: 2ee86a66e5d97e3fadc400c9f19b065d\nresume_operations_after: 45s\n", "twice the longest backend timeout (30s of payu)"},
		{"one endpoint twice, written two ways", "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n  - url: HTTPS://Shop.Example:443/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", "line 13: webhooks[1].url: HTTPS://Shop.Example:443/hook is webhooks[0]'s URL too"},
		{"one url twice", "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", "line 13: webhooks[1].url: https://shop.example/hook is webhooks[0]'s URL too"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig([]byte(dummyConfig+tc.yaml), nil)
			if err == nil {
				_, err = engineConfig(c)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("err = %v, want one naming %q (and no password)", err, tc.want)
			}
		})
	}
	c, err := parseConfig([]byte(dummyConfig+"expire_after: 2h\ndelivery_timeout: 3s\nresume_operations_after: 5m\nwebhooks:\n  - url: https://shop.example/hook\n    secrets: [whsec_wLn3Z2nfLu4tjJhzdsaishqkKd9lhxO/uFjiDnYt4i8=, whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The dummy broker answers in process, with no timeout: a short resume
	// is fine with it alone.
	if c, err := parseConfig([]byte(dummyConfig+"resume_operations_after: 10s\n"), nil); err != nil {
		t.Fatal(err)
	} else if _, err := engineConfig(c); err != nil {
		t.Errorf("resume_operations_after 10s with only the dummy broker: %v", err)
	}
	cfg, err := engineConfig(c)
	if err != nil || len(cfg.Consumers) != 1 || cfg.ExpireAfter.Hours() != 2 || cfg.DeliveryTimeout.Seconds() != 3 || cfg.Reconcile.SubmittingAfter.Minutes() != 5 {
		t.Fatalf("engine config %+v, %v", cfg, err)
	}
}

// Without resume_operations_after, an operation still "submitting" is taken
// for a dead process's after 2 minutes, which must stay more than twice the
// longest backend timeout (what a set value is held to): a backend with a
// longer timeout moves the default past it, or a call still running would
// be taken for a dead one.
func TestResumeDefaultOutlastsLongTimeouts(t *testing.T) {
	t.Parallel()
	payu := "  payu:\n    pos_id: \"300746\"\n    second_key: b6ca15b0d1020e8094d9b5f8d163db54\n    client_id: \"300746\"\n    client_secret: 2ee86a66e5d97e3fadc400c9f19b065d\n"
	for _, tc := range []struct {
		name, yaml string
		atLeast    time.Duration
	}{
		{"default timeouts", payu, 2 * time.Minute},
		{"a 90 s timeout", payu + "    timeout: 90s\n", 180*time.Second + time.Nanosecond},
		{"a 60 s timeout", payu + "    timeout: 60s\n", 120*time.Second + time.Nanosecond},
		{"a timeout of ten years, the most a duration may be", payu + "    timeout: 87600h\n", 2*87600*time.Hour + time.Nanosecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig([]byte(dummyConfig+tc.yaml), nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := engineConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.Reconcile.SubmittingAfter
			if got == 0 {
				got = 2 * time.Minute // the engine's own default
			}
			if got < tc.atLeast {
				t.Errorf("an operation still submitting is resumed after %s, want at least %s", got, tc.atLeast)
			}
		})
	}
}

// The LAST column of `events list` tells what the last attempt got; a
// delivery with no attempt recorded (waiting behind an earlier event of its
// payment, just replayed, or sent by a process killed before it wrote the
// answer down) has none, and must not read "ok", nor "not tried yet": the
// endpoint may have it already.
func TestDeliveryOutcome(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    getpaid.Delivery
		want string
	}{
		{getpaid.Delivery{State: getpaid.DeliveryPending}, "no attempt recorded"},
		{getpaid.Delivery{State: getpaid.DeliveryPending, Attempts: 2, LastStatus: 500}, "HTTP 500"},
		{getpaid.Delivery{State: getpaid.DeliveryPending, Attempts: 1, LastError: "timed out after 3s"}, "timed out after 3s"},
		{getpaid.Delivery{State: getpaid.DeliveryDelivered, Attempts: 1, LastStatus: 200}, "HTTP 200"},
	} {
		if got := deliveryOutcome(&tc.d); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.d, got, tc.want)
		}
	}
}

// The events and operations tools only read and mark: they send no webhook
// themselves (an operator's `events list`, run where the endpoint cannot be
// reached, spent the schedule of every due delivery on failed attempts), and
// a replay is left to the running server.
func TestRecordToolsSendNoWebhooks(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	path := sqliteConfig(t, "webhooks:\n  - url: "+hook.URL+"\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")
	ctx := context.Background()
	c, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := buildRegistry(c)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	store, err := openStore(ctx, c.Database)
	if err != nil {
		t.Fatal(err)
	}
	ecfg, err := engineConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	// An engine that delivers nothing: events are written with their
	// deliveries, and stay pending.
	ecfg.Store, ecfg.Registry, ecfg.Logger, ecfg.NoDelivery = store, reg, slog.New(slog.DiscardHandler), true
	eng, err := engine.New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	_ = eng.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	created := "evt_created_" + p.ID
	for _, args := range [][]string{
		{"events", "list"}, {"events", "show", created}, {"operations", "list"}, {"events", "replay", created},
	} {
		// A tool that delivered has done so before it returns: it waits for
		// its deliveries in flight.
		if code, out, errOut := runCLI(t, "", append(args, "--config", path)...); code != 0 {
			t.Fatalf("%v: %d\n%s%s", args, code, out, errOut)
		}
		if n := hits.Load(); n != 0 {
			t.Fatalf("getpaid %s sent %d webhooks; the tools send none (the server does)", strings.Join(args, " "), n)
		}
	}
	code, out, _ := runCLI(t, "", "events", "list", "--status", "pending", "--config", path)
	if code != 0 || !strings.Contains(out, created) || !strings.Contains(out, "no attempt recorded") {
		t.Fatalf("the deliveries are no longer pending and untried:\n%s", out)
	}
}

// `events list` shows at most one page of deliveries (the newest 500); when
// there are more it says so, so that an operator never takes a cut list of
// dead letters for all of them.
func TestEventsListSaysWhenCut(t *testing.T) {
	t.Parallel()
	path, srv := migratedRecords(t, "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n    events: [payment.created]\n")
	ctx := context.Background()
	pay := func(n int) {
		for i := range n {
			if _, err := srv.engine.Create(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")}); err != nil {
				t.Fatal(i, err)
			}
		}
	}
	pay(getpaid.MaxPageSize)
	code, out, errOut := runCLI(t, "", "events", "list", "--config", path)
	if code != 0 || strings.Count(out, "\n") != getpaid.MaxPageSize+1 || errOut != "" {
		t.Fatalf("%d deliveries: exit %d, %d lines, stderr %q", getpaid.MaxPageSize, code, strings.Count(out, "\n"), errOut)
	}
	pay(1)
	code, out, errOut = runCLI(t, "", "events", "list", "--config", path)
	if code != 0 || strings.Count(out, "\n") != getpaid.MaxPageSize+1 || !strings.Contains(errOut, "more") {
		t.Fatalf("%d deliveries: exit %d, %d lines, stderr %q; want the newest %d and a word that there are more",
			getpaid.MaxPageSize+1, code, strings.Count(out, "\n"), errOut, getpaid.MaxPageSize)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
}

// callback check lists what the callback says; a line with nothing to say
// (the dummy broker's callbacks name no broker id) is left out.
func TestCallbackCheckLeavesOutEmptyLines(t *testing.T) {
	t.Parallel()
	path := sqliteConfig(t, "")
	body, sig := dummy.EncodeCallback("s3cret", dummy.Callback{PaymentID: "pay_x", EventID: "e0", Status: "paid", Amount: "1.00", Currency: "PLN"})
	_, out, stderr := runCLI(t, string(body), "callback", "check", "--config", path, "--backend", "dummy", "--header", "Dummy-Signature: "+sig)
	if !strings.HasPrefix(out, "valid\n  payment: pay_x\n  event: e0\n") || strings.Contains(out, "broker id") {
		t.Errorf("output:\n%s%s", out, stderr)
	}
}

// A record the database does not hold is said to be missing from the
// database the config names, or from the one GETPAID_DATABASE names when
// the environment set it: the file named another, or none.
func TestNotFoundNamesWhereTheDatabaseCameFrom(t *testing.T) {
	t.Parallel()
	const file = "listen: 127.0.0.1:0\ndatabase: sqlite:/tmp/a.db\nbackends:\n  dummy: {secret: s}\n"
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"from the file", nil, "operation op_nope: not found in the database getpaid.yaml names"},
		{"from the environment", []string{"GETPAID_DATABASE=sqlite:/tmp/b.db"}, "operation op_nope: not found in the database GETPAID_DATABASE names"},
	} {
		cfg, err := parseConfigFrom("getpaid.yaml", []byte(file), tc.env)
		if err != nil {
			t.Fatal(err)
		}
		got := notFound(fmt.Errorf("engine: %w", getpaid.ErrNotFound), "operation", "op_nope", &server{cfg: cfg})
		if got == nil || got.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, got, tc.want)
		}
	}
}
