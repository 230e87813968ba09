package p24test

import "github.com/getpaid-go/getpaid/internal/simkit"

// Operation faults for SetOperationFault: how transaction/refund misbehaves.
const (
	FaultNone = simkit.FaultNone
	// FaultTimeoutAfter accepts the refund (it is recorded, settled and
	// notified as usual) and never answers: the client times out not
	// knowing. The request is held at most HangTimeout.
	FaultTimeoutAfter = simkit.FaultTimeoutAfter
	// FaultTimeoutBefore never answers and does nothing.
	FaultTimeoutBefore = simkit.FaultTimeoutBefore
	// Fault5xx answers 500 and does nothing.
	Fault5xx = simkit.Fault5xx
)

// SetOperationFault switches how the simulator answers money operations
// (transaction/refund) until switched back with FaultNone: FaultTimeoutAfter,
// FaultTimeoutBefore or Fault5xx. Other endpoints, the refund lookup
// included, are unaffected, so a test can ask what really happened (Refunds,
// or a backend's FetchOperation). Unknown modes behave as FaultNone.
func (s *Server) SetOperationFault(mode string) { s.ops.Set(mode) }
