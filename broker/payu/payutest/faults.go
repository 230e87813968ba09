package payutest

import (
	"net/http"
)

// Operation faults for SetOperationFault: how the money operation endpoints
// (captures, the status update, DELETE of an order, refunds) misbehave.
const (
	FaultNone = ""
	// FaultTimeoutAfter applies the operation (the capture, cancellation or
	// refund happens, its notification is sent) and then never answers: the
	// client times out not knowing.
	FaultTimeoutAfter = "timeout-after"
	// FaultTimeoutBefore never answers and does nothing.
	FaultTimeoutBefore = "timeout-before"
	// Fault5xx answers 500 ERROR_INTERNAL and does nothing.
	Fault5xx = "5xx"
)

// SetOperationFault switches how the simulator answers money operations
// until switched back with FaultNone: FaultTimeoutAfter, FaultTimeoutBefore
// or Fault5xx. Other requests (OAuth, creating and retrieving orders, the
// refund list) are unaffected, so a test can ask what really happened:
// Order, Refunds and, through a backend, FetchOperation tell. Unknown modes
// behave as FaultNone.
func (s *Server) SetOperationFault(mode string) {
	s.mu.Lock()
	s.opFault = mode
	s.mu.Unlock()
}

// operation applies the operation fault to a money operation handler.
func (s *Server) operation(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		mode := s.opFault
		s.mu.Unlock()
		switch mode {
		case Fault5xx:
			writeStatus(w, http.StatusInternalServerError, "ERROR_INTERNAL", "simulated failure; nothing was done")
		case FaultTimeoutBefore:
			s.hang(r)
		case FaultTimeoutAfter:
			h(&discard{header: http.Header{}}, r)
			s.hang(r)
		default:
			h(w, r)
		}
	}
}

// hang holds a request until its client gives up or the simulator closes.
func (s *Server) hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.ctx.Done():
	}
}

// discard is a ResponseWriter that drops the answer.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
