package getpaid

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Test with errors.Is; the HTTP layer maps them to status codes.
var (
	ErrNotFound            = errors.New("not found")
	ErrUnknownCurrency     = errors.New("unknown currency")
	ErrInvalidAmount       = errors.New("invalid amount")
	ErrUnknownBackend      = errors.New("unknown backend")
	ErrCurrencyNotAccepted = errors.New("currency not accepted by backend")
	ErrForbiddenTransition = errors.New("forbidden status transition")
	ErrSignatureInvalid    = errors.New("callback signature invalid")
	ErrMalformedCallback   = errors.New("malformed callback")
	ErrAmountMismatch      = errors.New("amount or currency does not match the payment")
	ErrDuplicateEvent      = errors.New("event already applied")
	ErrBackendMismatch     = errors.New("callback names a payment of another backend")
	// ErrPaymentMismatch is a broker fact whose getpaid id names one payment
	// and whose broker id is another payment's: it is about neither for sure.
	ErrPaymentMismatch   = errors.New("callback names two different payments")
	ErrOrderNotPayable   = errors.New("order cannot be paid now")
	ErrLivePaymentExists = errors.New("order already has a live payment")
	ErrNotSupported      = errors.New("operation not supported by backend")
	ErrSourceNotAllowed  = errors.New("callback source address not allowed")
	ErrInvalidRequest    = errors.New("invalid request")
	ErrConflict          = errors.New("concurrent update conflict")
	// ErrTotalTooLarge refuses a payment total beyond the int64 range of
	// minor units (see PaymentTotal.Add): never wrapped round into a wrong,
	// even negative, amount.
	ErrTotalTooLarge = errors.New("payment total beyond the int64 range of minor units")
	// ErrUnavailable is a store that cannot be reached or stays busy beyond
	// its timeout: the request may be retried. Usually nothing was changed;
	// when the connection was lost while a commit was in flight the change
	// may have been made, which a retry finds (a repeated broker event is a
	// duplicate, an idempotency key finds its operation).
	ErrUnavailable = errors.New("store unavailable")
	// ErrReadOnly is a database that answers but accepts no writes (a
	// standby after a failover, writes switched off): a store reports it
	// beside ErrUnavailable, so that readiness checks can say so.
	ErrReadOnly = errors.New("database accepts no writes")
	// ErrDiskFailed is a store whose files failed it on the disk (a full
	// disk, a read-only file or folder, an I/O error, its files removed or
	// replaced under it): a store reports it beside ErrUnavailable, so that
	// readiness checks say what an operator must fix, not "unreachable".
	ErrDiskFailed = errors.New("the database's disk failed")
	// ErrSchemaOutdated is a database whose schema is behind this getpaid:
	// run "getpaid migrate".
	ErrSchemaOutdated = errors.New("database schema is outdated: run getpaid migrate")
	// ErrSchemaNewer is a database migrated by a newer getpaid: upgrade this
	// one before using it.
	ErrSchemaNewer = errors.New("database schema is newer than this getpaid: upgrade getpaid")
	// ErrOperationInProgress is a money operation whose broker call has not
	// answered yet; ErrOperationInDoubt one whose answer was lost (the
	// reconciler or an operator resolves it); ErrOperationFailed one the
	// broker refused. An *OperationError carries the operation: the
	// request's own, or the payment's capture, release or cancel that has
	// not ended and keeps this one from starting.
	ErrOperationInProgress = errors.New("operation in progress")
	ErrOperationInDoubt    = errors.New("operation in doubt: the broker's answer was lost; it is being reconciled")
	ErrOperationFailed     = errors.New("operation failed")
)

// OperationError reports what became of a money operation request that did
// not succeed, with the operation as recorded.
type OperationError struct {
	Op  *Operation
	Err error // ErrOperationInProgress, ErrOperationInDoubt, ErrOperationFailed, and the cause
}

func (e *OperationError) Error() string {
	return fmt.Sprintf("operation %s (%s of payment %s, %s): %v", e.Op.ID, e.Op.Kind, e.Op.PaymentID, e.Op.State, e.Err)
}
func (e *OperationError) Unwrap() error { return e.Err }

// Reason is why the operation was refused or failed, as an operator reads
// it: Err's text without the class it is wrapped in ("its broker call is
// still running", not "concurrent update conflict: its broker call is
// still running"). An Err that is a class alone is its own text.
func (e *OperationError) Reason() string {
	msg := e.Err.Error()
	for _, class := range []error{ErrConflict, ErrOperationFailed, ErrOperationInDoubt, ErrOperationInProgress} {
		if errors.Is(e.Err, class) {
			if rest, ok := strings.CutPrefix(msg, class.Error()+": "); ok {
				return rest
			}
		}
	}
	return msg
}

// MoneyError explains why an amount or currency was refused.
type MoneyError struct {
	Input  string
	Reason string
	Err    error // ErrInvalidAmount or ErrUnknownCurrency
}

func (e *MoneyError) Error() string { return fmt.Sprintf("money %q: %s", e.Input, e.Reason) }
func (e *MoneyError) Unwrap() error { return e.Err }

// TransitionError is returned for a status change the machine forbids.
type TransitionError struct {
	From, To Status
	Reason   string
}

func (e *TransitionError) Error() string {
	msg := fmt.Sprintf("transition %s -> %s forbidden", e.From, e.To)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}
func (e *TransitionError) Unwrap() error { return ErrForbiddenTransition }

// UnsupportedError is an action a payment's backend cannot do: it names the
// backend and the action, and says what to do instead. It wraps
// ErrNotSupported.
type UnsupportedError struct {
	Backend string
	Action  string // poll, capture, release, cancel, refund
	Instead string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("backend %q cannot %s: %s", e.Backend, e.Action, e.Instead)
}

func (e *UnsupportedError) Unwrap() error { return ErrNotSupported }

// FieldError names the request field that is wrong and why; it wraps the cause
// (ErrInvalidAmount, ErrUnknownBackend, ...).
type FieldError struct {
	Field  string
	Reason string
	Err    error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }
func (e *FieldError) Unwrap() error { return e.Err }

// BrokerError classifies a failure talking to a broker, once, at the broker
// boundary. Retryable means trying again later may succeed (timeouts, 5xx,
// 429). Happened reports whether the broker may have acted anyway (a timeout
// after the request was sent): the caller must not assume nothing happened.
type BrokerError struct {
	Op        string // "payu: create order"
	Retryable bool
	Happened  bool
	Status    int // broker HTTP status, 0 if none
	Err       error
}

func (e *BrokerError) Error() string {
	s := e.Op
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
func (e *BrokerError) Unwrap() error { return e.Err }

// IsRetryable reports whether err is a BrokerError marked retryable.
func IsRetryable(err error) bool {
	var be *BrokerError
	return errors.As(err, &be) && be.Retryable
}
