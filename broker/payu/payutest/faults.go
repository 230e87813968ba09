package payutest

import (
	"net/http"
	"strings"

	"github.com/getpaid-go/getpaid/internal/simkit"
)

// Operation faults for SetOperationFault: how the money operation endpoints
// (captures, the status update, DELETE of an order, refunds) misbehave.
const (
	FaultNone = simkit.FaultNone
	// FaultTimeoutAfter applies the operation (the capture, cancellation or
	// refund happens, its notification is sent) and then never answers: the
	// client times out not knowing.
	FaultTimeoutAfter = simkit.FaultTimeoutAfter
	// FaultTimeoutBefore never answers and does nothing.
	FaultTimeoutBefore = simkit.FaultTimeoutBefore
	// Fault5xx answers 500 ERROR_INTERNAL and does nothing.
	Fault5xx = simkit.Fault5xx
)

// SetOperationFault switches how the simulator answers money operations
// until switched back with FaultNone: FaultTimeoutAfter, FaultTimeoutBefore
// or Fault5xx. Other requests (OAuth, creating and retrieving orders, the
// refund list) are unaffected, so a test can ask what really happened:
// Order, Refunds and, through a backend, FetchOperation tell. Unknown modes
// behave as FaultNone.
func (s *Server) SetOperationFault(mode string) { s.ops.Set(mode) }

// outage answers an API call in failure mode Failure5xx: 503 for OAuth,
// 500 for the rest.
func outage(w http.ResponseWriter, r *http.Request) {
	code := http.StatusInternalServerError
	if strings.HasSuffix(r.URL.Path, "/authorize") {
		code = http.StatusServiceUnavailable
	}
	writeStatus(w, code, "ERROR_INTERNAL", "simulated outage")
}

// operationFailed answers a money operation under Fault5xx.
func operationFailed(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusInternalServerError, "ERROR_INTERNAL", "simulated failure; nothing was done")
}

// late answers a request held hanging whose client is still there when the
// simulator closes.
func late(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusGatewayTimeout, "ERROR_INTERNAL", "simulator closing")
}
