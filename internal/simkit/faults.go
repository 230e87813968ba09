package simkit

import (
	"net/http"
	"sync"
	"time"
)

// Failure modes of a simulator's whole API (SetFailure).
const (
	FailureNone    = ""        // healthy
	Failure5xx     = "5xx"     // every request gets NewFaults' fail answer
	FailureTimeout = "timeout" // every request hangs until the client gives up
)

// Faults of a simulator's money operations (SetOperationFault).
const (
	FaultNone = ""
	// FaultTimeoutAfter carries the operation out (it is recorded and
	// notified as usual) and never answers: the client times out not
	// knowing.
	FaultTimeoutAfter = "timeout-after"
	// FaultTimeoutBefore never answers and does nothing.
	FaultTimeoutBefore = "timeout-before"
	// Fault5xx gets NewFaults' fail answer and does nothing.
	Fault5xx = "5xx"
)

// Faults is a switch of how a simulator misbehaves, with the answers it
// misbehaves with. Set it with NewFaults; it is safe for concurrent use.
type Faults struct {
	life *Life
	hang time.Duration
	fail http.HandlerFunc
	late http.HandlerFunc

	mu   sync.Mutex
	mode string
}

// NewFaults returns a healthy switch. fail answers in the 5xx modes, late
// answers a request held hanging when its client may still wait (nil:
// nothing is written); a request hangs at most hang (0: until its client
// leaves or life closes).
func NewFaults(life *Life, hang time.Duration, fail, late http.HandlerFunc) *Faults {
	return &Faults{life: life, hang: hang, fail: fail, late: late}
}

// Set switches the mode; unknown modes behave as healthy.
func (f *Faults) Set(mode string) {
	f.mu.Lock()
	f.mode = mode
	f.mu.Unlock()
}

// Mode is the mode in force.
func (f *Faults) Mode() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mode
}

// Outage applies the failure modes (Failure5xx, FailureTimeout) to h.
func (f *Faults) Outage(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch f.Mode() {
		case Failure5xx:
			f.fail(w, r)
		case FailureTimeout:
			f.holdLate(w, r)
		default:
			h(w, r)
		}
	}
}

// Operation applies the operation faults (Fault5xx, FaultTimeoutBefore,
// FaultTimeoutAfter) to the money operation handler h.
func (f *Faults) Operation(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch f.Mode() {
		case Fault5xx:
			f.fail(w, r)
		case FaultTimeoutBefore:
			f.holdLate(w, r)
		case FaultTimeoutAfter:
			h(&discard{header: http.Header{}}, r)
			f.holdLate(w, r)
		default:
			h(w, r)
		}
	}
}

// holdLate holds r hanging, then answers late if the client still waits.
func (f *Faults) holdLate(w http.ResponseWriter, r *http.Request) {
	f.life.Hang(r, f.hang)
	if f.late != nil {
		f.late(w, r)
	}
}

// discard is a ResponseWriter that drops the answer.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
