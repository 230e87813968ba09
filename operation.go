package getpaid

import "time"

// OperationKind names a money operation getpaid asks a broker for.
type OperationKind string

// Money operations.
const (
	OpCapture OperationKind = "capture"
	OpRelease OperationKind = "release"
	OpCancel  OperationKind = "cancel"
	OpRefund  OperationKind = "refund"
)

// OperationState is where a money operation stands.
type OperationState string

// Operation states. An operation is written submitting before the broker is
// called; the broker's answer moves it to pending (accepted, finished later),
// succeeded or failed; an answer that was lost (a timeout, a dropped
// connection, a crash during the call) moves it to unknown, which the
// reconciler or an operator resolves. Succeeded and failed are final.
const (
	OpSubmitting OperationState = "submitting"
	OpPending    OperationState = "pending"
	OpSucceeded  OperationState = "succeeded"
	OpFailed     OperationState = "failed"
	OpUnknown    OperationState = "unknown"
)

// Final reports whether s is succeeded or failed.
func (s OperationState) Final() bool { return s == OpSucceeded || s == OpFailed }

// Operation is the durable record of one money operation asked of a broker.
type Operation struct {
	ID             string // "op_...": stable, sent to brokers that deduplicate requests
	PaymentID      string
	Backend        string
	Kind           OperationKind
	State          OperationState
	Amount         Money  // zero for release and cancel
	IdempotencyKey string // the caller's key, if any
	RequestHash    string // what the key was first used for: same key, other request is refused
	BrokerRef      string // the broker's id for it (PayU refundId), once known
	Error          string // why it failed, or what left it in doubt
	Attempts       int    // reconciliation attempts so far
	NextCheckAt    time.Time
	Flagged        bool   // the reconciler gave up: an operator must decide
	ResolvedBy     string // who resolved it by hand, and why
	Note           string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}
