package dotpaytest

import (
	"context"
	"io"
	"net/http"
)

// Operation faults for SetOperationFault: how the seller API's refund
// endpoint misbehaves.
const (
	FaultNone = ""
	// FaultTimeoutAfter makes the refund (it is recorded, ended and
	// notified as usual) and never answers: the client times out not
	// knowing. The request is held at most HangTimeout.
	FaultTimeoutAfter = "timeout-after"
	// FaultTimeoutBefore never answers and does nothing.
	FaultTimeoutBefore = "timeout-before"
	// Fault5xx answers 500 and does nothing.
	Fault5xx = "5xx"
)

// SetOperationFault switches how the simulator answers money operations
// (POST payments/{number}/refund/) until switched back with FaultNone:
// FaultTimeoutAfter, FaultTimeoutBefore or Fault5xx. The operations list
// and the rest of the seller API are unaffected, so a test can ask what
// really happened (Operations, or a backend's FetchOperation). Unknown
// modes behave as FaultNone.
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
			writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": "A server error occurred."})
		case FaultTimeoutBefore:
			s.hang(r)
			writeJSON(w, http.StatusGatewayTimeout, map[string]string{"detail": "Timeout"})
		case FaultTimeoutAfter:
			h(&discard{header: http.Header{}}, r)
			s.hang(r)
			writeJSON(w, http.StatusGatewayTimeout, map[string]string{"detail": "Timeout"})
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
	s.wait(ctx, s.cfg.HangTimeout)
}

// discard is a ResponseWriter that drops the answer.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
