package health

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Checker reports whether the service can work now (getpaid.Readier).
type Checker interface {
	Ready(ctx context.Context) error
}

// Handler serves /healthz and /readyz.
type Handler struct {
	check   Checker
	timeout time.Duration
	log     *slog.Logger
	mux     *http.ServeMux

	mu       sync.Mutex
	reported bool      // a "not ready" line was written, and no "ready again" since
	failed   int       // checks failed since the last "ready again" (or the start)
	loggedAt time.Time // when the last "not ready" line was written
}

// logEvery is how often, at most, a readiness check that keeps failing is
// logged: probes come every few seconds from each balancer, and a line each
// would bury the rest of the log.
const logEvery = time.Minute

// New returns the probes over check, each readiness check bounded by
// timeout (0 means 2 s).
func New(check Checker, timeout time.Duration, log *slog.Logger) *Handler {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{check: check, timeout: timeout, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /healthz", h.live)
	h.mux.HandleFunc("GET /readyz", h.ready)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	write(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *Handler) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	err := h.check.Ready(ctx)
	h.note(r.Context(), err)
	if err == nil {
		write(w, http.StatusOK, map[string]string{"status": "ready"})
		return
	}
	why := "database unreachable"
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		// The database is there: this process (or the machine) has no
		// file descriptor left to reach it with.
		why = "too many open files: getpaid has run out of file descriptors; raise its limit (LimitNOFILE=, ulimit -n) or lower limits.connections"
	case errors.Is(err, getpaid.ErrSchemaOutdated):
		why = "database schema outdated: run getpaid migrate"
	case errors.Is(err, getpaid.ErrSchemaNewer):
		why = "database schema newer than this getpaid"
	case errors.Is(err, getpaid.ErrDiskFailed):
		why = "the database's disk failed (full, read-only, an I/O error, or its files removed or replaced): fix it, then restart getpaid; the log says what failed"
	case errors.Is(err, getpaid.ErrReadOnly):
		why = "database accepts no writes (a standby?): point getpaid at the primary"
	case errors.Is(err, context.DeadlineExceeded):
		why = "database did not answer in time"
	}
	w.Header().Set("Retry-After", "5")
	write(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": why})
}

// note logs a readiness check's outcome: a failure at most once a minute
// (with how many checks failed), and the return after a logged failure,
// whether the checks fail for a long while or flap.
func (h *Handler) note(ctx context.Context, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		if h.reported {
			h.log.InfoContext(ctx, "ready again", "failed_probes", h.failed)
			h.reported, h.failed = false, 0
		}
		return
	}
	h.failed++
	if h.loggedAt.IsZero() || time.Since(h.loggedAt) >= logEvery {
		h.log.WarnContext(ctx, "not ready", "err", err, "failed_probes", h.failed)
		h.loggedAt, h.reported = time.Now(), true
	}
}

func write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
