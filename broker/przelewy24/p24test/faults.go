package p24test

import (
	"context"
	"net/http"
)

// Operation faults for SetOperationFault: how transaction/refund misbehaves.
const (
	FaultNone = ""
	// FaultTimeoutAfter accepts the refund (it is recorded, settled and
	// notified as usual) and never answers: the client times out not
	// knowing. The request is held at most HangTimeout.
	FaultTimeoutAfter = "timeout-after"
	// FaultTimeoutBefore never answers and does nothing.
	FaultTimeoutBefore = "timeout-before"
	// Fault5xx answers 500 and does nothing.
	Fault5xx = "5xx"
)

// SetOperationFault switches how the simulator answers money operations
// (transaction/refund) until switched back with FaultNone: FaultTimeoutAfter,
// FaultTimeoutBefore or Fault5xx. Other endpoints, the refund lookup
// included, are unaffected, so a test can ask what really happened (Refunds,
// or a backend's FetchOperation). Unknown modes behave as FaultNone.
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
			apiError(w, http.StatusInternalServerError, "Unknown error")
		case FaultTimeoutBefore:
			s.hang(r)
			apiError(w, http.StatusGatewayTimeout, "Timeout") // if the client still waits
		case FaultTimeoutAfter:
			h(&discard{header: http.Header{}}, r)
			s.hang(r)
			apiError(w, http.StatusGatewayTimeout, "Timeout")
		default:
			h(w, r)
		}
	}
}

// hang holds a request until its client gives up, the simulator closes or
// HangTimeout passes.
func (s *Server) hang(r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HangTimeout)
	defer cancel()
	s.wait(ctx, s.cfg.HangTimeout, nil)
}

// discard is a ResponseWriter that drops the answer.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
