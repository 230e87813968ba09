package tpaytest

import (
	"context"
	"io"
	"net/http"
)

// Operation faults for SetOperationFault: how the money operation endpoints
// (refunds, cancel) misbehave.
const (
	FaultNone = ""
	// FaultTimeoutAfter applies the operation (the refund is made and its
	// CHARGEBACK notification sent, the transaction cancelled) and never
	// answers: the client times out not knowing. The request is held at
	// most HangTimeout.
	FaultTimeoutAfter = "timeout-after"
	// FaultTimeoutBefore never answers and does nothing.
	FaultTimeoutBefore = "timeout-before"
	// Fault5xx answers 500 and does nothing.
	Fault5xx = "5xx"
)

// SetOperationFault switches how the simulator answers money operations
// (POST /transactions/{id}/refunds and /cancel) until switched back with
// FaultNone: FaultTimeoutAfter, FaultTimeoutBefore or Fault5xx. OAuth, the
// transaction and its refund list are unaffected, so a test can ask what
// really happened (a backend's FetchOperation or FetchStatus). Unknown modes
// behave as FaultNone.
func (s *Server) SetOperationFault(mode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opFault = mode
}

// operation applies the operation fault to a money operation handler.
func (s *Server) operation(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		mode := s.opFault
		s.mu.Unlock()
		switch mode {
		case Fault5xx:
			writeJSON(w, http.StatusInternalServerError, failed("internal_error", "Internal server error; nothing was done", ""))
		case FaultTimeoutBefore:
			s.hang(r)
			writeJSON(w, http.StatusGatewayTimeout, failed("timeout", "Gateway timeout", ""))
		case FaultTimeoutAfter:
			h(&discard{header: http.Header{}}, r)
			s.hang(r)
			writeJSON(w, http.StatusGatewayTimeout, failed("timeout", "Gateway timeout", ""))
		default:
			h(w, r)
		}
	}
}

// hang holds a request until its client gives up, the simulator closes or
// HangTimeout passes.
func (s *Server) hang(r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<16)) // read in full, a client leaving ends the context
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HangTimeout)
	defer cancel()
	select {
	case <-ctx.Done():
	case <-s.done:
	}
}

// discard is a ResponseWriter that drops the answer.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
