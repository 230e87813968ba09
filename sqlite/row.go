package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
)

// paymentCols are the payments columns scanPayment reads, in order.
const paymentCols = `id, order_id, backend, status, amount, currency, locked, captured, refunded,
	refund_asked, advance, active_op, external_id, description, buyer, return_url, client_ip, redirect, fraud, version,
	created_at, updated_at, create_key`

// eventCols are the outbox columns scanEvent reads, in order.
const eventCols = `id, type, payment_id, order_id, backend, from_status, to_status, amount, currency,
	captured, refunded, at, cause`

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanPayment reads one payments row.
func scanPayment(sc scanner) (*getpaid.Payment, error) {
	var (
		p                  getpaid.Payment
		buyer              string
		redirect           sql.NullString
		created, updated   int64
		status, fraud, cur string
	)
	err := sc.Scan(&p.ID, &p.OrderID, &p.Backend, &status, &p.Amount.Minor, &cur, &p.Locked,
		&p.Captured, &p.Refunded, &p.RefundAsked, &p.Advance, &p.ActiveOp, &p.ExternalID, &p.Description, &buyer,
		&p.ReturnURL, &p.ClientIP, &redirect, &fraud, &p.Version, &created, &updated, &p.CreateKey)
	if err != nil {
		return nil, err
	}
	p.Status, p.Fraud, p.Amount.Currency = getpaid.Status(status), getpaid.FraudStatus(fraud), cur
	p.CreatedAt, p.UpdatedAt = fromNanos(created), fromNanos(updated)
	if err := json.Unmarshal([]byte(buyer), &p.Buyer); err != nil {
		return nil, fmt.Errorf("payment %s: buyer: %w", p.ID, err)
	}
	if redirect.Valid {
		p.Redirect = new(getpaid.Redirect)
		if err := json.Unmarshal([]byte(redirect.String), p.Redirect); err != nil {
			return nil, fmt.Errorf("payment %s: redirect: %w", p.ID, err)
		}
	}
	return &p, nil
}

// scanEvent reads one outbox row, after the columns lead points into.
func scanEvent(sc scanner, lead ...any) (getpaid.Event, error) {
	var (
		e                 getpaid.Event
		typ, from, to, cu string
		at                int64
	)
	err := sc.Scan(append(lead, &e.ID, &typ, &e.PaymentID, &e.OrderID, &e.Backend, &from, &to,
		&e.Amount.Minor, &cu, &e.Captured.Minor, &e.Refunded.Minor, &at, &e.Cause)...)
	if err != nil {
		return e, err
	}
	e.Type, e.From, e.To = getpaid.EventType(typ), getpaid.Status(from), getpaid.Status(to)
	e.Amount.Currency, e.Captured.Currency, e.Refunded.Currency, e.At = cu, cu, cu, fromNanos(at)
	return e, nil
}

// encoded holds a payment's JSON columns.
type encoded struct {
	buyer    string
	redirect sql.NullString
}

// encode marshals p's buyer and redirect.
func encode(p *getpaid.Payment) (encoded, error) {
	var e encoded
	b, err := json.Marshal(p.Buyer)
	if err != nil {
		return e, fmt.Errorf("buyer: %w", err)
	}
	e.buyer = string(b)
	if p.Redirect != nil {
		r, err := json.Marshal(p.Redirect)
		if err != nil {
			return e, fmt.Errorf("redirect: %w", err)
		}
		e.redirect = sql.NullString{String: string(r), Valid: true}
	}
	return e, nil
}

// now is the store's clock: UTC, without a monotonic reading.
func now() time.Time { return time.Now().UTC() }

// nanos is t as stored: unix nanoseconds.
func nanos(t time.Time) int64 { return t.UnixNano() }

// boundNanos is a listing's time bound as nanos compares it: a time beyond
// what int64 nanoseconds hold (before 1677 or after 2262) is clamped to
// their range, where UnixNano would wrap round; the lower end keeps a day
// of headroom for the day arithmetic of the totals. Stored times go
// through nanos, unchanged.
func boundNanos(t time.Time) int64 {
	const lo, hi = math.MinInt64 + int64(24*time.Hour), math.MaxInt64
	switch {
	case t.Before(time.Unix(0, lo)):
		return lo
	case t.After(time.Unix(0, hi)):
		return hi
	}
	return t.UnixNano()
}

// fromNanos is a stored time as a UTC time.Time.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// isUnique reports whether err is a UNIQUE or PRIMARY KEY constraint failure.
// Both drivers carry SQLite's own message.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// unavailable marks err, a failure of the database itself (busy beyond the
// timeout, an I/O error, a closed store), as getpaid.ErrUnavailable: nothing
// was changed and the caller may retry.
func unavailable(err error) error {
	if err == nil || errors.Is(err, getpaid.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", getpaid.ErrUnavailable, err)
}

// readErr classifies a read's error: no rows is getpaid.ErrNotFound, a
// closed pool or a busy or failing database is getpaid.ErrUnavailable.
func readErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return getpaid.ErrNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return unavailable(err)
}
