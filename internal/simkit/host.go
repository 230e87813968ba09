package simkit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Host is where a simulator is served: the absolute URL it is reachable at
// (its pages' links use it) and, when it serves itself, its
// httptest.Server. The zero value is ready to use and safe for concurrent
// use.
type Host struct {
	mu   sync.Mutex
	base string
	ts   *httptest.Server
}

// SetBaseURL sets the absolute URL the simulator is reachable at.
func (h *Host) SetBaseURL(u string) {
	h.mu.Lock()
	h.base = strings.TrimRight(u, "/")
	h.mu.Unlock()
}

// URL is the base URL, without a trailing slash.
func (h *Host) URL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.base
}

// Serve serves handler on a new local httptest.Server and takes its URL as
// the base URL.
func (h *Host) Serve(handler http.Handler) {
	ts := httptest.NewServer(handler)
	h.mu.Lock()
	h.ts, h.base = ts, ts.URL
	h.mu.Unlock()
}

// Close closes the server Serve started, if any, its connections first.
func (h *Host) Close() {
	h.mu.Lock()
	ts := h.ts
	h.mu.Unlock()
	if ts != nil {
		ts.CloseClientConnections()
		ts.Close()
	}
}
