package getpaid

import (
	"context"
	"fmt"
	"time"
)

// Readier is an optional Store capability for health checks: Ready reports
// whether the database can be reached now and its schema is the one this
// getpaid expects (ErrSchemaOutdated, ErrSchemaNewer), without changing
// anything. A store that cannot be reached answers an error wrapping
// ErrUnavailable. Load balancers and Kubernetes probes ask it often: it must
// be cheap and bounded by ctx.
type Readier interface {
	Ready(ctx context.Context) error
}

// DurableWaiter is an optional Store capability, for a store whose readers
// may see a committed change before it is durable (SQLite's group commit:
// up to one flush of its WAL early). WaitDurable returns once every change
// committed before the call is on disk, or an error (ErrUnavailable when the
// disk failed). The engine calls it before it answers a broker's
// notification from what it read rather than from a write of its own (a
// repeated notification, one that changes nothing): a broker stops sending
// only what a power loss cannot take back. A store whose readers see only
// durable changes (memory, PostgreSQL with synchronous_commit on) need not
// have it.
type DurableWaiter interface {
	WaitDurable(ctx context.Context) error
}

// PaymentTotaler is an optional Store capability: the number and the sum of
// required amounts of the payments matching a filter, by status and
// currency, as the operator console shows above a listing. The filter's
// Limit and Cursor are ignored. It must stay fast on large tables: a store
// keeps running totals (SQLite: a table its writer and triggers keep, per status,
// backend, currency and creation day) and reads the payments themselves only
// for what the totals cannot answer (an order id, the parts of days a
// created-between bound cuts). Totals are ordered by status (lifecycle
// order, see Statuses), then currency; statuses with no payments are left
// out.
type PaymentTotaler interface {
	PaymentTotals(ctx context.Context, f PaymentFilter) ([]PaymentTotal, error)
}

// PaymentTotal is the number of payments of one status in one currency and
// the sum of their required amounts.
type PaymentTotal struct {
	Status Status
	Count  int64
	Amount Money
}

// Add counts n more payments of minor units in all into t. A sum past the
// int64 range is refused (ErrTotalTooLarge) and t left as it was.
func (t *PaymentTotal) Add(n, minor int64) error {
	a := t.Amount.Minor
	if s := a + minor; (s > a) != (minor > 0) {
		return fmt.Errorf("the %s payments in %s: %w", t.Status, t.Amount.Currency, ErrTotalTooLarge)
	}
	t.Count += n
	t.Amount.Minor += minor
	return nil
}

// SortTotals orders totals as PaymentTotaler promises: by status in
// lifecycle order, then currency.
func SortTotals(t []PaymentTotal) {
	rank := make(map[Status]int, len(statuses))
	for i, s := range statuses {
		rank[s] = i
	}
	for i := 1; i < len(t); i++ {
		for j := i; j > 0; j-- {
			a, b := t[j-1], t[j]
			if rank[a.Status] < rank[b.Status] || rank[a.Status] == rank[b.Status] && a.Amount.Currency <= b.Amount.Currency {
				break
			}
			t[j-1], t[j] = b, a
		}
	}
}

// BacklogReporter is an optional Store capability for monitoring: how many
// deliveries of outbox events are pending, and when the oldest of them was
// written. The metrics endpoint asks it on every scrape: it must be cheap.
type BacklogReporter interface {
	Backlog(ctx context.Context) (Backlog, error)
}

// ClockReader is an optional Store capability for monitoring: the
// database server's clock, read now. Several instances on one database time
// leases, and how long a money operation has been at its broker, each by
// its own clock; comparing each with the database's shows clocks apart
// before they matter (README, Clocks). A store that shares the process's
// clock (SQLite, memory) has nothing to report and does not implement it.
type ClockReader interface {
	DatabaseClock(ctx context.Context) (time.Time, error)
}

// Backlog is the work waiting: the outbox's deliveries, and the money
// operations an operator may have to decide.
type Backlog struct {
	Pending int64     // deliveries not yet acknowledged nor dead
	Dead    int64     // deliveries whose retries ran out, until replayed
	Oldest  time.Time // when the oldest pending delivery's event was written; zero when none
	InDoubt int64     // money operations in state unknown (the broker's answer was lost)
	Flagged int64     // money operations flagged for an operator (not settled in time, or settled by a resolution the broker contradicted since)
}

// CallbackReport is what became of one broker notification, as the HTTP
// layer answered it. Observers (metrics, the console's recent outcomes) get
// one per callback request.
type CallbackReport struct {
	Backend string
	// Outcome is what an accepted callback did (applied, no_change,
	// duplicate, unknown, second_transaction); empty when it was refused.
	Outcome Outcome
	// Reason is why a refused callback was refused: a stable code
	// (signature_invalid, amount_mismatch, unavailable, ...).
	Reason    string
	Status    int    // the HTTP status answered
	PaymentID string // the payment it changed or named, when known
	ClientIP  string
	At        time.Time
	Duration  time.Duration
}

// Label is the report's outcome, or its refusal reason.
func (r CallbackReport) Label() string {
	if r.Outcome != "" {
		return string(r.Outcome)
	}
	return r.Reason
}
