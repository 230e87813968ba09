package getpaid

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// OperationKind names a money operation getpaid asks a broker for.
type OperationKind string

// Money operations.
const (
	OpCapture OperationKind = "capture"
	OpRelease OperationKind = "release"
	OpCancel  OperationKind = "cancel"
	OpRefund  OperationKind = "refund"
)

// Exclusive reports whether at most one operation of this kind (and of the
// other exclusive kinds) may be in flight on a payment at a time: capture,
// release and cancel change the same hold, so a capture racing a release
// must not both reach the broker. Refunds are checked by amount instead.
func (k OperationKind) Exclusive() bool { return k != OpRefund }

// Valid reports whether k is one of the four kinds.
func (k OperationKind) Valid() bool {
	switch k {
	case OpCapture, OpRelease, OpCancel, OpRefund:
		return true
	}
	return false
}

// OperationState is where a money operation stands.
type OperationState string

// Operation states. An operation is written submitting before the broker is
// called; the broker's answer moves it to pending (accepted, finished later),
// succeeded or failed; an answer that was lost (a timeout, a dropped
// connection, a 5xx, a crash during the call) moves it to unknown, which the
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

// Valid reports whether s is one of the five states.
func (s OperationState) Valid() bool {
	switch s {
	case OpSubmitting, OpPending, OpSucceeded, OpFailed, OpUnknown:
		return true
	}
	return false
}

// Operation is the durable record of one money operation asked of a broker.
type Operation struct {
	ID        string // "op_...": stable, sent to brokers that deduplicate requests
	PaymentID string
	Backend   string
	Kind      OperationKind
	State     OperationState
	Amount    Money // what to capture or refund; for a release, the hold it gives back; zero for cancel
	// Baseline is what the payment had captured when the operation was
	// asked: in doubt, a capture happened if the broker reports more.
	Baseline       int64
	IdempotencyKey string // the caller's key, if any: unique per payment
	RequestHash    string // what the key was first used for: the same key for another request is refused
	BrokerRef      string // the broker's id for it (PayU's refundId), once known
	Error          string // why it failed, or what left it in doubt (kept once it is settled, succeeded included: its history)
	// LastCheck is what the reconciler's last check with the broker found
	// when it settled nothing (the lookup down, an answer that fits two
	// refunds): why it is still in doubt, for the operator who decides.
	// Empty once the operation is settled (final).
	LastCheck   string
	Attempts    int // reconciliation attempts so far
	NextCheckAt time.Time
	Flagged     bool   // the reconciler could not resolve it in time: an operator should decide (cleared once it is settled); or, settled, the broker contradicted how an operator resolved it (cleared once one acknowledges it)
	ResolvedBy  string // who resolved it by hand ("api", a console user), and
	Note        string // why
	CreatedAt   time.Time
	UpdatedAt   time.Time // its last change (its next check moved is none: ResolveRequest.Seen compares it)
}

// RequestHash is the fingerprint of a money operation request as asked (an
// amount, or nil for "all of it"), stored with its idempotency key: a retry
// with the same key must ask for the same thing.
func RequestHash(kind OperationKind, asked *Money) string {
	what := "all"
	if asked != nil {
		what = asked.String()
	}
	sum := sha256.Sum256([]byte(string(kind) + "\x00" + what))
	return hex.EncodeToString(sum[:8])
}

// OperationChange writes one money operation record in the same transaction
// as a payment mutation: a new record, or a change to a stored one.
type OperationChange struct {
	// New is inserted (CreatedAt and UpdatedAt are set). A taken id, or an
	// idempotency key already used on the payment, fails with ErrConflict.
	New *Operation
	// ID names a stored operation of the payment to change with Update
	// (ErrNotFound if there is none).
	ID string
	// Update changes a copy of the stored operation, given the payment as
	// the mutation left it, and reports whether it changed anything.
	Update func(op *Operation, p *Payment) (changed bool, err error)
}

// OperationFilter selects operations for Store.Operations. Zero fields do not
// filter. Results are newest first.
type OperationFilter struct {
	PaymentID      string
	State          OperationState
	Kind           OperationKind
	IdempotencyKey string // with PaymentID: the operation a key was used for
	FlaggedOnly    bool
	Limit          int // 0 means DefaultPageSize; at most MaxPageSize
	Cursor         string
}

// Matches reports whether op passes every set field of f but the cursor and
// limit.
func (f OperationFilter) Matches(op *Operation) bool {
	return (f.PaymentID == "" || op.PaymentID == f.PaymentID) &&
		(f.State == "" || op.State == f.State) &&
		(f.Kind == "" || op.Kind == f.Kind) &&
		(f.IdempotencyKey == "" || op.IdempotencyKey == f.IdempotencyKey) &&
		(!f.FlaggedOnly || op.Flagged)
}

// OperationPage is one page of an operation listing.
type OperationPage struct {
	Operations []*Operation
	NextCursor string // empty on the last page
}

// DueRequest selects the operations the reconciler should check now: unknown
// and pending ones whose NextCheckAt has come, and submitting ones last
// changed before SubmittingBefore (the process that was calling the broker
// died). Each one listed is claimed: its NextCheckAt moves to Now+Claim, so
// no other caller (in any process) gets it meanwhile.
type DueRequest struct {
	Now              time.Time
	SubmittingBefore time.Time
	Limit            int
	Claim            time.Duration
}

// Due reports whether op is due for a check under r (claims aside).
func (r DueRequest) Due(op *Operation) bool {
	switch op.State {
	case OpUnknown, OpPending:
		return !op.NextCheckAt.After(r.Now)
	case OpSubmitting:
		return op.UpdatedAt.Before(r.SubmittingBefore) && !op.NextCheckAt.After(r.Now)
	}
	return false
}
