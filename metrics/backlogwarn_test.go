package metrics_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/metrics"
)

// flaky is a backlog source whose answer the test switches.
type flaky struct {
	mu  sync.Mutex
	err error
}

func (f *flaky) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *flaky) Backlog(context.Context) (getpaid.Backlog, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return getpaid.Backlog{Pending: 1}, f.err
}

// A database away while Prometheus scrapes every 15 s (from each of its
// replicas) logs the failed backlog read once, again at most once a minute
// (with how many scrapes failed), and its return once, as the readiness
// probe does: not a warning per scrape.
func TestBacklogFailureLoggedOncePerMinute(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, nil))
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	src := &flaky{}
	m := metrics.New(metrics.Config{NoProcess: true, Backlog: src, Logger: log, Now: func() time.Time { return now }})
	src.set(fmt.Errorf("dial: %w", getpaid.ErrUnavailable))
	for range 8 { // two minutes of scrapes every 15 s
		scrape(t, m)
		now = now.Add(15 * time.Second)
	}
	src.set(nil)
	scrape(t, m)
	scrape(t, m)
	out := buf.String()
	for _, tc := range []struct {
		name, line string
		want       int
	}{
		{"failures, one a minute over two minutes", `msg="metrics: outbox backlog"`, 2},
		{"returns", `msg="metrics: outbox backlog readable again"`, 1},
	} {
		if n := strings.Count(out, tc.line); n != tc.want {
			t.Errorf("%s: %d lines %q, want %d:\n%s", tc.name, n, tc.line, tc.want, out)
		}
	}
	if !strings.Contains(out, "failed_scrapes=8") {
		t.Errorf("the return says how many scrapes failed (8):\n%s", out)
	}
}
