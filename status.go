package getpaid

import (
	"fmt"
	"sort"
	"strings"
)

// Status is a payment's status, persisted as its string.
type Status string

// The eleven payment statuses.
const (
	StatusNew               Status = "new"                // created, not yet sent to the broker
	StatusPrepared          Status = "prepared"           // registered at the broker; buyer redirected (django-getpaid v1 "in_progress")
	StatusPreAuth           Status = "pre_auth"           // funds locked, waiting for capture or release
	StatusChargeStarted     Status = "charge_started"     // broker is processing the charge
	StatusPartiallyPaid     Status = "partially_paid"     // some, not all, of the amount captured
	StatusPaid              Status = "paid"               // the whole amount captured
	StatusFailed            Status = "failed"             // the broker declined or the buyer abandoned
	StatusRefundStarted     Status = "refund_started"     // a refund was asked for and is pending
	StatusPartiallyRefunded Status = "partially_refunded" // part of the captured amount went back
	StatusRefunded          Status = "refunded"           // everything captured went back
	StatusCancelled         Status = "cancelled"          // released or cancelled with nothing captured
)

// Statuses lists every status in lifecycle order.
var statuses = [...]Status{
	StatusNew, StatusPrepared, StatusChargeStarted, StatusPreAuth, StatusPartiallyPaid,
	StatusPaid, StatusFailed, StatusCancelled, StatusRefundStarted, StatusPartiallyRefunded,
	StatusRefunded,
}

// Statuses returns every status in lifecycle order.
func Statuses() []Status { return append([]Status(nil), statuses[:]...) }

// Valid reports whether s is one of the eleven statuses.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// transitions is the status machine: for each status, the statuses it may move
// to. It is the one table every change is checked against; the golden file
// testdata/transitions.golden renders it.
var transitions = map[Status][]Status{
	StatusNew:           {StatusPrepared, StatusChargeStarted, StatusPreAuth, StatusPartiallyPaid, StatusPaid, StatusFailed, StatusCancelled},
	StatusPrepared:      {StatusChargeStarted, StatusPreAuth, StatusPartiallyPaid, StatusPaid, StatusFailed, StatusCancelled},
	StatusChargeStarted: {StatusPreAuth, StatusPartiallyPaid, StatusPaid, StatusFailed, StatusCancelled},
	StatusPreAuth:       {StatusChargeStarted, StatusPartiallyPaid, StatusPaid, StatusFailed, StatusCancelled},
	// A partial capture may be followed by more captures, or by refunds.
	StatusPartiallyPaid: {StatusPaid, StatusRefundStarted, StatusPartiallyRefunded, StatusRefunded},
	StatusPaid:          {StatusRefundStarted, StatusPartiallyRefunded, StatusRefunded},
	// A failed payment whose money the broker later reports held or
	// captured, or holds for another amount (an advance: charge started),
	// is recorded: money a buyer really paid is never dropped.
	StatusFailed: {StatusChargeStarted, StatusPreAuth, StatusPartiallyPaid, StatusPaid},
	// Likewise a capture or an advance reported after a release or
	// cancellation (an expiry).
	StatusCancelled:         {StatusChargeStarted, StatusPartiallyPaid, StatusPaid},
	StatusRefundStarted:     {StatusPaid, StatusPartiallyPaid, StatusPartiallyRefunded, StatusRefunded},
	StatusPartiallyRefunded: {StatusRefundStarted, StatusRefunded},
	// Refunded is final unless the broker reports more money captured than
	// was refunded (a late capture): then it is partially refunded again.
	StatusRefunded: {StatusPartiallyRefunded},
}

// CanTransition reports whether the machine allows from -> to. A status does
// not "transition" to itself; such a change is a no-op, not a transition.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// checkTransition returns a *TransitionError unless from -> to is allowed.
func checkTransition(from, to Status) error {
	if !CanTransition(from, to) {
		return &TransitionError{From: from, To: to}
	}
	return nil
}

// TransitionTable renders the status machine as text, one line per status:
// "from -> to1, to2". It is what the golden test compares.
func TransitionTable() string {
	var b strings.Builder
	for _, from := range statuses {
		to := make([]string, 0, len(transitions[from]))
		for _, s := range transitions[from] {
			to = append(to, string(s))
		}
		sort.Strings(to)
		if len(to) == 0 {
			to = []string{"(terminal)"}
		}
		fmt.Fprintf(&b, "%-19s -> %s\n", from, strings.Join(to, ", "))
	}
	return b.String()
}
