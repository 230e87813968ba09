package health_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
