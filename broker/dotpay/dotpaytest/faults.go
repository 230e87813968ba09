package dotpaytest

import "github.com/getpaid-go/getpaid/internal/simkit"

// Operation faults for SetOperationFault: how the seller API's refund
// endpoint misbehaves.
const (
	FaultNone = simkit.FaultNone
	// FaultTimeoutAfter makes the refund (it is recorded, ended and
	// notified as usual) and never answers: the client times out not
	// knowing. The request is held at most HangTimeout.
	FaultTimeoutAfter = simkit.FaultTimeoutAfter
	// FaultTimeoutBefore never answers and does nothing.
	FaultTimeoutBefore = simkit.FaultTimeoutBefore
	// Fault5xx answers 500 and does nothing.
	Fault5xx = simkit.Fault5xx
)

// SetOperationFault switches how the simulator answers money operations
// (POST payments/{number}/refund/) until switched back with FaultNone:
// FaultTimeoutAfter, FaultTimeoutBefore or Fault5xx. The operations list
// and the rest of the seller API are unaffected, so a test can ask what
// really happened (Operations, or a backend's FetchOperation). Unknown
// modes behave as FaultNone.
func (s *Server) SetOperationFault(mode string) { s.opFaults.Set(mode) }
