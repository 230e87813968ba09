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

// SetVerifyFault switches how transaction/verify misbehaves until switched
// back with FaultNone, with the same modes: FaultTimeoutAfter verifies the
// transaction (its notification is no longer sent, as after any verify) and
// never answers, the shop not knowing Przelewy24 took the money;
// FaultTimeoutBefore never answers and verifies nothing; Fault5xx answers
// 500 and verifies nothing. Other endpoints, the status lookup included, are
// unaffected. SetVerifyFailure is the plain refusal (400).
func (s *Server) SetVerifyFault(mode string) { s.vops.Set(mode) }
