package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/sqlite"
)

// A replay that makes nothing due again says why, instead of promising a
// delivery "within a second": an event whose delivery still waits for its
// retry is sent now by --waiting, not by naming it.
func TestEventsReplaySaysWhyNothing(t *testing.T) {
	t.Parallel()
	path, srv := migratedRecords(t, "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n    events: [payment.created]\n")
	ctx := context.Background()
	p, err := srv.engine.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a pending event", []string{"evt_created_" + p.ID}, "--waiting"},
		{"an event without deliveries", []string{"evt_" + p.ID + "_v2"}, "no delivery"},
		{"no dead delivery", []string{"--dead"}, "no dead delivery"},
		{"nothing waiting", []string{"--waiting"}, "waits for a retry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", append([]string{"events", "replay", "--config", path}, tc.args...)...)
			if code != 0 || !strings.HasPrefix(out, "0 deliveries due again") || strings.Contains(out, "within a second") || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d\n%s%s\nwant 0 deliveries, saying %q", code, out, errOut, tc.want)
			}
		})
	}
}

// A replay of the dead deliveries leaves those to an endpoint this config
// does not name (removed, or set only in the server's environment), and
// says so on stderr: the operator learns they are still dead.
func TestEventsReplaySaysWhatItLeft(t *testing.T) {
	t.Parallel()
	path, file, _ := deliveriesSetBySQL(t, "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
		"state = 'dead', consumer = 'webhook:https://old.example/hook'")
	code, out, errOut := runCLI(t, "", "events", "replay", "--dead", "--config", path)
	if code != 0 || !strings.HasPrefix(out, "0 deliveries due again") || !strings.Contains(errOut, "not in this config's webhooks:") {
		t.Fatalf("exit %d\n%s%s\nwant 0 deliveries and a word on stderr about the dead ones left", code, out, errOut)
	}
	db, err := sqlite.OpenDB(file, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dead int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM deliveries WHERE state = 'dead'").Scan(&dead); err != nil || dead != 1 {
		t.Fatalf("dead deliveries after the replay: %d, %v; want the 1 still dead", dead, err)
	}
}

// operations resolve writes the payment's status change with deliveries to
// the endpoints of the tool's config. Run with a config lacking an endpoint
// the payment's events went to (the server has its webhooks: from its
// environment), it refuses and says so: the resolution's event would have
// reached no webhook, and the shop would never learn of the refund.
func TestResolveRefusedWithoutTheServersWebhooks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "getpaid.db")
	base := "listen: 127.0.0.1:0\nbase_url: http://127.0.0.1:1\ndatabase: sqlite:" + db + "\napi_keys: [server-api-key-0123456789]\n" +
		"backends:\n  dummy:\n    secret: s3cret\n    fault: timeout-before\n"
	server := writeConfig(t, base+"webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")
	bare := writeConfig(t, base)
	if code, out, errOut := runCLI(t, "", "migrate", "--config", server); code != 0 {
		t.Fatalf("migrate: %d %s%s", code, out, errOut)
	}
	ctx := context.Background()
	srv, err := openRecords(ctx, server, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	p, err := srv.engine.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	d := func() *dummy.Broker { b, _ := srv.reg.Get("dummy"); return b.Broker.(*dummy.Broker) }()
	u, _ := url.Parse(p.Redirect.URL)
	q := u.Query()
	q.Set("outcome", "paid")
	req := httptest.NewRequest("POST", "/choose", strings.NewReader(q.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	d.Pages().ServeHTTP(httptest.NewRecorder(), req)
	if _, err := srv.engine.Poll(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = srv.engine.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) {
		t.Fatalf("refund with a lost answer: %v", err)
	}
	_ = srv.Close()

	code, out, errOut := runCLI(t, "", "operations", "resolve", oe.Op.ID, "--as", "failed", "--note", "n", "--config", bare)
	if code == 0 || !strings.Contains(errOut, "https://shop.example/hook") || !strings.Contains(errOut, "webhooks:") {
		t.Fatalf("resolve with a config lacking the payment's endpoint: %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "", "operations", "show", oe.Op.ID, "--config", server); code != 0 || !strings.Contains(out, "unknown") {
		t.Fatalf("the refused resolution changed the operation:\n%s", out)
	}
	code, out, errOut = runCLI(t, "", "operations", "resolve", oe.Op.ID, "--as", "failed", "--note", "n", "--config", server)
	if code != 0 || !strings.Contains(out, "is now paid") {
		t.Fatalf("resolve with the server's config: %d\n%s%s", code, out, errOut)
	}
}

// events list --endpoint with a URL this config does not name (a typo, a
// trailing slash) that nothing was ever delivered to is refused, naming the
// endpoints events go to: an empty list of dead letters must not pass for
// "none". The configured one lists (nothing yet) without a word.
func TestEventsListNamesUnknownEndpoint(t *testing.T) {
	t.Parallel()
	path := sqliteConfig(t, "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")
	if code, out, errOut := runCLI(t, "", "migrate", "--config", path); code != 0 {
		t.Fatalf("migrate: %d %s%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "", "events", "list", "--status", "dead", "--endpoint", "https://shop.example/hook", "--config", path)
	if code != 0 || !strings.Contains(out, "EVENT") || errOut != "" {
		t.Fatalf("the configured endpoint: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "events", "list", "--status", "dead", "--endpoint", "https://shop.example/hook/", "--config", path)
	if code == 0 || !strings.Contains(errOut, "no event was ever delivered to") || !strings.Contains(errOut, "https://shop.example/hook)") {
		t.Fatalf("a misspelt endpoint: exit %d\n%s%s; want refused, naming the configured one", code, out, errOut)
	}
}

// A replay says how many deliveries it made due again, in words that fit
// the count ("1 delivery", "2 deliveries").
func TestEventsReplayCountsDeliveries(t *testing.T) {
	t.Parallel()
	const hook = "  - url: https://shop.example/hook%d\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	for _, tc := range []struct {
		endpoints int
		want      string
	}{
		{1, "1 delivery due again;"},
		{2, "2 deliveries due again;"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			hooks := "webhooks:\n"
			for i := range tc.endpoints {
				hooks += fmt.Sprintf(hook, i)
			}
			path, _, p := deliveriesSetBySQL(t, hooks, "state = 'dead'")
			code, out, errOut := runCLI(t, "", "events", "replay", "evt_created_"+p.ID, "--config", path)
			if code != 0 || !strings.HasPrefix(out, tc.want) {
				t.Fatalf("exit %d\n%s%s\nwant %q", code, out, errOut, tc.want)
			}
		})
	}
}

// deliveriesSetBySQL migrates a records config with extra (webhooks),
// creates a payment through it, stops it, and sets that payment's
// deliveries in the file (set: an SQL SET list), as time or another
// server would have left them. It returns the config's path, the database
// file and the payment.
func deliveriesSetBySQL(t *testing.T, extra, set string) (string, string, *getpaid.Payment) {
	t.Helper()
	path, srv := migratedRecords(t, extra)
	ctx := context.Background()
	p, err := srv.engine.Create(ctx, getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	file := strings.TrimPrefix(srv.cfg.Database, "sqlite:")
	db, err := sqlite.OpenDB(file, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "UPDATE deliveries SET "+set+" WHERE payment_id = ?", p.ID); err != nil {
		t.Fatal(err)
	}
	return path, file, p
}

// An endpoint removed from webhooks: leaves its deliveries pending (the
// backlog's oldest age grows, its alert never clears) or dead: events
// discard retires them, naming who; the endpoint still configured is
// refused; --endpoint is required; list --status discarded shows them.
func TestEventsDiscard(t *testing.T) {
	t.Parallel()
	const hook = "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	path, _, _ := deliveriesSetBySQL(t, hook, "consumer = 'webhook:https://old.example/hook'")
	if code, _, errOut := runCLI(t, "", "events", "discard", "--config", path); code != 2 || !strings.Contains(errOut, "--endpoint") {
		t.Fatalf("discard without --endpoint: %d %s", code, errOut)
	}
	code, _, errOut := runCLI(t, "", "events", "discard", "--endpoint", "https://shop.example/hook", "--config", path)
	if code == 0 || !strings.Contains(errOut, "remove it from the configuration first") {
		t.Fatalf("discarding a configured endpoint: %d %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "", "events", "discard", "--endpoint", "https://old.example/hook", "--by", "alice", "--config", path)
	if code != 0 || !strings.HasPrefix(out, "1 delivery to https://old.example/hook discarded") {
		t.Fatalf("discard: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "events", "list", "--status", "discarded", "--config", path)
	if code != 0 || strings.Count(out, "old.example") != 1 || !strings.Contains(out, "discarded by alice") {
		t.Fatalf("list --status discarded: %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "", "events", "list", "--status", "pending", "--config", path); code != 0 || strings.Contains(out, "old.example") {
		t.Fatalf("discarded deliveries still listed pending: %d\n%s", code, out)
	}
	// show says who discarded it too, as list does.
	ev := strings.Fields(strings.Split(out, "\n")[1])[0]
	if code, out, errOut := runCLI(t, "", "events", "show", ev, "--config", path); code != 0 || !strings.Contains(out, "discarded by alice") {
		t.Fatalf("show %s: %d\n%s%s", ev, code, out, errOut)
	}
}

// events discard and replay refusals say what is wrong with the endpoint
// as the operator wrote it (a URL), as operations' refusals do: not the
// engine's layers and consumer names ("getpaid: engine: discard:
// endpoint: events still go to \"webhook:https://…\"").
func TestEventsRefusalsNameTheURL(t *testing.T) {
	t.Parallel()
	const hook = "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	path, _, _ := deliveriesSetBySQL(t, hook, "consumer = 'webhook:https://old.example/hook'")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"discard", "--endpoint", "https://shop.example/hook"},
			`getpaid: events discard: events still go to "https://shop.example/hook": remove it from the configuration first (its dead deliveries can be replayed)`},
		{[]string{"discard", "--endpoint", "https://old.example/hook/"},
			`getpaid: events discard: no event was ever delivered to "https://old.example/hook/" (is it spelt as it was configured?)`},
		{[]string{"discard", "--endpoint", "https://old.example/hook", "--by", "al\tice"},
			`getpaid: events discard: --by: control character U+0009 at byte 2`},
		{[]string{"replay", "--dead", "--endpoint", "https://typo.example/hook"},
			`getpaid: events replay: events are not delivered to "https://typo.example/hook" (they are to: https://shop.example/hook)`},
		// list said "getpaid: engine: list deliveries: endpoint: no event
		// was ever delivered to \"webhook:https://typo…\" (they are to:
		// webhook:https://shop…)".
		{[]string{"list", "--endpoint", "https://typo.example/hook"},
			`getpaid: events list: no event was ever delivered to "https://typo.example/hook" (they are to: https://shop.example/hook)`},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, "", append(append([]string{"events"}, tt.args...), "--config", path)...)
		if code != 1 || strings.TrimSpace(errOut) != tt.want {
			t.Errorf("events %v: %d\n%s\nwant\n%s", tt.args, code, errOut, tt.want)
		}
	}
}

// An endpoint added to webhooks: after events were written gets them with
// events backfill --endpoint URL --since TIME|DURATION: due now, listed
// pending (a running server sends them), once however often it runs.
func TestEventsBackfill(t *testing.T) {
	t.Parallel()
	path, srv := migratedRecords(t, "")
	p, err := srv.engine.Create(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("webhooks:\n  - url: https://erp.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--endpoint", "https://erp.example/hook"}, 2, "--since"},
		{[]string{"--endpoint", "https://erp.example/hook", "--since", "yesterday"}, 2, "--since"},
		{[]string{"--since", "1h"}, 2, "--endpoint"},
		{[]string{"--endpoint", "https://typo.example/hook", "--since", "1h"}, 1, "https://erp.example/hook"},
	} {
		code, out, errOut := runCLI(t, "", append(append([]string{"events", "backfill"}, tc.args...), "--config", path)...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("backfill %v: exit %d\n%s%s; want %d naming %s", tc.args, code, out, errOut, tc.code, tc.err)
		}
	}
	code, out, errOut := runCLI(t, "", "events", "backfill", "--endpoint", "https://erp.example/hook", "--since", "1h", "--config", path)
	if code != 0 || !strings.HasPrefix(out, "1 event since ") || !strings.Contains(out, "due to https://erp.example/hook") {
		t.Fatalf("backfill: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "events", "list", "--status", "pending", "--endpoint", "https://erp.example/hook", "--config", path)
	if code != 0 || !strings.Contains(out, "evt_created_"+p.ID) {
		t.Fatalf("the backfilled delivery is not listed pending: exit %d\n%s%s", code, out, errOut)
	}
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if code, out, errOut := runCLI(t, "", "events", "backfill", "--endpoint", "https://erp.example/hook", "--since", since, "--config", path); code != 0 || !strings.HasPrefix(out, "0 events since ") {
		t.Fatalf("backfill again: exit %d\n%s%s", code, out, errOut)
	}
}

// events list says what a pending delivery waits for when an earlier event
// of its payment is still pending to its consumer (a consumer gets a
// payment's events in order): with no attempt and a due time past, it read
// as a dispatcher that hung.
func TestEventsListSaysWhatADeliveryWaitsFor(t *testing.T) {
	t.Parallel()
	path, srv := migratedRecords(t, "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")
	paid, err := srv.engine.Pay(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	id := paid.ID
	code, out, errOut := runCLI(t, "", "events", "list", "--status", "pending", "--config", path)
	if code != 0 {
		t.Fatalf("list: exit %d\n%s%s", code, out, errOut)
	}
	var created, changed string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "evt_created_"+id):
			created = line
		case strings.HasPrefix(line, "evt_"+id+"_v2"):
			changed = line
		}
	}
	if !strings.Contains(changed, "waits for evt_created_"+id) {
		t.Errorf("the status change's line %q; want it to say it waits for evt_created_%s\n%s", changed, id, out)
	}
	if strings.Contains(created, "waits for") {
		t.Errorf("the first event's line %q says it waits", created)
	}
}
