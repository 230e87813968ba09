package health_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/health"
)

type checker struct{ err atomic.Pointer[error] }

func (c *checker) Ready(ctx context.Context) error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

func TestProbes(t *testing.T) {
	t.Parallel()
	c := &checker{}
	h := health.New(c, time.Second, slog.New(slog.DiscardHandler))
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w.Code, w.Body.String()
	}
	set := func(err error) { c.err.Store(&err) }
	tests := []struct {
		err    error
		status int
		reason string
	}{
		{nil, 200, "ready"},
		{fmt.Errorf("sqlite: ready: %w: unable to open /secret/path", getpaid.ErrUnavailable), 503, "database unreachable"},
		{getpaid.ErrSchemaOutdated, 503, "run getpaid migrate"},
		{fmt.Errorf("postgres: ready: %w: %w: a standby", getpaid.ErrUnavailable, getpaid.ErrReadOnly), 503, "database accepts no writes"},
		{fmt.Errorf("sqlite: ready: %w: %w: checkpoint: disk I/O error", getpaid.ErrDiskFailed, getpaid.ErrUnavailable), 503, "disk failed"},
		// The log had the cause; the probe said "database unreachable".
		{fmt.Errorf("sqlite: ready: %w: open /secret/getpaid.db: %w", getpaid.ErrUnavailable, &os.PathError{Op: "open", Path: "/secret/getpaid.db", Err: syscall.EMFILE}), 503, "too many open files"},
		{fmt.Errorf("postgres: ready: %w: dial: %w", getpaid.ErrUnavailable, os.NewSyscallError("socket", syscall.ENFILE)), 503, "too many open files"},
		{nil, 200, "ready"},
	}
	for _, tt := range tests {
		set(tt.err)
		if code, body := get("/healthz"); code != 200 {
			t.Errorf("healthz with %v: %d %s", tt.err, code, body)
		}
		code, body := get("/readyz")
		if code != tt.status || !strings.Contains(body, tt.reason) || strings.Contains(body, "secret") {
			t.Errorf("readyz with %v: %d %s; want %d %q", tt.err, code, body, tt.status, tt.reason)
		}
	}
}

// A database away while probes come every second logs its failure once (and
// again at most once a minute, with how many probes failed meanwhile), and
// its return once: not a warning per probe, nor a pair per flap.
func TestFailedProbesLoggedOnce(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil))
	c := &checker{}
	h := health.New(c, time.Second, log)
	probe := func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	}
	away := fmt.Errorf("dial: %w", getpaid.ErrUnavailable)
	var ok error
	c.err.Store(&away)
	for range 10 {
		probe()
	}
	c.err.Store(&ok)
	probe()
	probe()
	// Flapping: failing and passing by turns, within the minute.
	for range 20 {
		c.err.Store(&away)
		probe()
		c.err.Store(&ok)
		probe()
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if n := strings.Count(out, "not ready"); n != 1 {
		t.Errorf("%d \"not ready\" lines within a minute, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "ready again"); n != 1 || !strings.Contains(out, "failed_probes=10") {
		t.Errorf("the return after 10 failed probes: want one \"ready again\" line saying failed_probes=10:\n%s", out)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
