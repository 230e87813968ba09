package tpaytest

import "github.com/getpaid-go/getpaid/internal/simkit"

// Operation faults for SetOperationFault: how the money operation endpoints
// (refunds, cancel) misbehave.
const (
	FaultNone = simkit.FaultNone
	// FaultTimeoutAfter applies the operation (the refund is made and its
	// CHARGEBACK notification sent, the transaction cancelled) and never
	// answers: the client times out not knowing. The request is held at
	// most HangTimeout.
	FaultTimeoutAfter = simkit.FaultTimeoutAfter
	// FaultTimeoutBefore never answers and does nothing.
	FaultTimeoutBefore = simkit.FaultTimeoutBefore
	// Fault5xx answers 500 and does nothing.
	Fault5xx = simkit.Fault5xx
)

// SetOperationFault switches how the simulator answers money operations
// (POST /transactions/{id}/refunds and /cancel) until switched back with
// FaultNone: FaultTimeoutAfter, FaultTimeoutBefore or Fault5xx. OAuth, the
// transaction and its refund list are unaffected, so a test can ask what
// really happened (a backend's FetchOperation or FetchStatus). Unknown modes
// behave as FaultNone.
func (s *Server) SetOperationFault(mode string) { s.ops.Set(mode) }
