package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// EnvRestart, when set, is a shell command that restarts the test's
// PostgreSQL cluster (.ci/run sets it to "scripts/postgres.sh restart"). It
// is set only for a run of TestScalePostgresRestart alone: a restart breaks
// every other test using the database at that moment.
const EnvRestart = "GETPAID_TEST_POSTGRES_RESTART"

// TestScalePostgresRestart restarts PostgreSQL in the middle of a burst of
// callbacks to two servers: no callback answered 200 is lost, the servers
// answer 503 (never 500) while the database is away, and they recover
// without being restarted themselves.
func TestScalePostgresRestart(t *testing.T) {
	restart := os.Getenv(EnvRestart)
	if restart == "" {
		t.Skip(EnvRestart + " is not set: this test restarts the database")
	}
	const n = 400
	c := newCluster(t, 2, clusterConfig{})
	ps := make([]*httpapi.PaymentJSON, n)
	for i := range ps {
		ps[i] = createPayment(t, c.insts[i%2], "dummy", fmt.Sprintf("o-restart-%d", i), "7.00")
	}
	var (
		mu       sync.Mutex
		acked    = map[string]bool{}
		answered = map[int]int{}
		next     atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	// Callbacks go out without pause, cycling over the payments (a repeat
	// is a duplicate, answered 200 once the first was applied), from before
	// the restart until a second after it finished.
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		for next.Load() < n/2 {
			time.Sleep(5 * time.Millisecond)
		}
		out, err := exec.Command("sh", "-c", restart).CombinedOutput()
		if err != nil {
			t.Errorf("restart: %v\n%s", err, out)
		}
		time.Sleep(time.Second)
		stop.Store(true)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for range 16 {
		wg.Go(func() {
			for !stop.Load() && time.Now().Before(deadline) {
				i := int(next.Add(1)-1) % n
				body, header := paidCallback(ps[i], "evt-restart")
				status, b := do("POST", c.insts[i%2].url+"/callback/dummy", header, body)
				mu.Lock()
				answered[status]++
				if status == http.StatusOK {
					acked[ps[i].ID] = true
				}
				mu.Unlock()
				if status != http.StatusOK && status != http.StatusServiceUnavailable {
					t.Errorf("callback %d during the restart: HTTP %d %s", i, status, b)
				}
			}
		})
	}
	wg.Wait()
	<-restarted
	t.Logf("answers during the burst: %v", answered)
	if answered[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no 503 while the database restarted (answers %v)", answered)
	}
	// The servers recover by themselves: every payment is read back, and the
	// callbacks not acknowledged are acknowledged when the broker retries.
	for i, p := range ps {
		got := getPayment(t, c.insts[(i+1)%2], p.ID)
		if acked[p.ID] {
			if got.Status != "paid" {
				t.Errorf("payment %d: callback answered 200, status %s", i, got.Status)
			}
			continue
		}
		body, header := paidCallback(p, "evt-restart")
		if statuses := callbackUntilAcked(c.insts[i%2].url+"/callback/dummy", body, header); statuses[len(statuses)-1] != http.StatusOK {
			t.Errorf("payment %d: retried callback answered %v", i, statuses)
		}
	}
	if ev := c.count("SELECT count(*) FROM outbox WHERE to_status = 'paid'"); ev != n {
		t.Errorf("%d paid status events, want %d", ev, n)
	}
}

// TestMigrateAndSchemaChecks: `getpaid migrate` on an empty and on a
// migrated database; `getpaid serve` refuses a schema behind it (run
// migrate) and one ahead of it (upgrade), saying what to do.
func TestMigrateAndSchemaChecks(t *testing.T) {
	t.Parallel()
	pgtest.DSN(t) // skips without PostgreSQL
	c := &cluster{t: t, dsn: pgtest.Schema(t), dir: t.TempDir()}
	// Any free port; base_url names a port (one of 0 is refused), which
	// nothing here calls.
	cfg := c.writeConfig(0, "127.0.0.1:0", clusterConfig{baseURL: func(int, string) string { return "http://127.0.0.1:1" }})
	// Built before the 5 s a serve is given: a build in it (seconds on a
	// busy machine) made "serve on an empty database" look as if it served.
	bin := getpaidBin(t)
	serve := func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "serve", "--config", cfg)
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil {
			return string(out), nil // it served until interrupted
		}
		if err == nil {
			err = fmt.Errorf("serve exited without an error")
		}
		return string(out), err
	}
	steps := []struct {
		name    string
		run     func() (string, error)
		wantErr bool
		want    string
	}{
		{"serve on an empty database", serve, true, `run "getpaid migrate --config ` + cfg + `"`},
		{"migrate an empty database", func() (string, error) { return c.run("migrate", "--config", cfg) }, false, "applied migration 1"},
		{"migrate again", func() (string, error) { return c.run("migrate", "--config", cfg) }, false, "database is up to date"},
		{"serve on the migrated database", serve, false, "getpaid serving"},
		{"a newer getpaid migrated it", func() (string, error) {
			conn, err := pgx.Connect(t.Context(), c.dsn)
			if err != nil {
				return "", err
			}
			defer conn.Close(context.Background())
			_, err = conn.Exec(t.Context(), "INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)")
			return "", err
		}, false, ""},
		{"serve on a newer database", serve, true, "migrated by a newer getpaid"},
		{"migrate a newer database", func() (string, error) { return c.run("migrate", "--config", cfg) }, true, "migrated by a newer getpaid"},
	}
	for _, s := range steps {
		out, err := s.run()
		if (err != nil) != s.wantErr || !strings.Contains(out, s.want) {
			t.Fatalf("%s: err %v (want error: %v), output:\n%s\nwant it to say %q", s.name, err, s.wantErr, out, s.want)
		}
	}
}
