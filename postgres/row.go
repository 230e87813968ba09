package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
)

// paymentCols are the payments columns scanPayment reads, in order.
const paymentCols = `id, order_id, backend, status, amount, currency, locked, captured, refunded,
	refund_asked, advance, active_op, external_id, description, buyer, return_url, client_ip, redirect, fraud,
	version, created_at, updated_at, create_key`

// eventCols are the outbox columns scanEvent reads, in order.
const eventCols = "id, type, payment_id, order_id, backend, from_status, to_status, amount, currency, captured, refunded, at, cause"

// paymentArgs are p's values in the order of paymentCols, but create_key
// (set once, by the insert). The jsonb
// columns (buyer, redirect) get their JSON text: a Go struct is encoded by
// pgx only where the server described the parameter as jsonb, which
// default_query_exec_mode=exec (behind PgBouncer) never asks it to do.
func paymentArgs(p *getpaid.Payment) ([]any, error) {
	buyer, err := json.Marshal(p.Buyer)
	if err != nil {
		return nil, fmt.Errorf("buyer: %w", err)
	}
	var redirect *string // NULL until prepared
	if p.Redirect != nil {
		b, err := json.Marshal(p.Redirect)
		if err != nil {
			return nil, fmt.Errorf("redirect: %w", err)
		}
		r := string(b)
		redirect = &r
	}
	return []any{p.ID, p.OrderID, p.Backend, string(p.Status), p.Amount.Minor, p.Amount.Currency, p.Locked,
		p.Captured, p.Refunded, p.RefundAsked, p.Advance, p.ActiveOp, p.ExternalID, p.Description, string(buyer), p.ReturnURL,
		p.ClientIP, redirect, string(p.Fraud), p.Version, p.CreatedAt, p.UpdatedAt}, nil
}

// scanPayment reads one payments row of paymentCols (after any leading
// columns scanned into lead).
func scanPayment(row pgx.Row, lead ...any) (*getpaid.Payment, error) {
	var (
		p                  getpaid.Payment
		status, fraud, cur string
	)
	dest := append(lead, &p.ID, &p.OrderID, &p.Backend, &status, &p.Amount.Minor, &cur, &p.Locked,
		&p.Captured, &p.Refunded, &p.RefundAsked, &p.Advance, &p.ActiveOp, &p.ExternalID, &p.Description, &p.Buyer,
		&p.ReturnURL, &p.ClientIP, &p.Redirect, &fraud, &p.Version, &p.CreatedAt, &p.UpdatedAt, &p.CreateKey)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	p.Status, p.Fraud, p.Amount.Currency = getpaid.Status(status), getpaid.FraudStatus(fraud), cur
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

// scanEvent reads one outbox row of eventCols (after any leading columns
// scanned into lead).
func scanEvent(row pgx.Row, lead ...any) (getpaid.Event, error) {
	var (
		e                 getpaid.Event
		typ, from, to, cu string
	)
	err := row.Scan(append(lead, &e.ID, &typ, &e.PaymentID, &e.OrderID, &e.Backend, &from, &to,
		&e.Amount.Minor, &cu, &e.Captured.Minor, &e.Refunded.Minor, &e.At, &e.Cause)...)
	if err != nil {
		return e, err
	}
	e.Type, e.From, e.To = getpaid.EventType(typ), getpaid.Status(from), getpaid.Status(to)
	e.Amount.Currency, e.Captured.Currency, e.Refunded.Currency, e.At = cu, cu, cu, e.At.UTC()
	return e, nil
}

// eventArgs are e's values in the order of eventCols.
func eventArgs(e getpaid.Event) []any {
	return []any{e.ID, string(e.Type), e.PaymentID, e.OrderID, e.Backend, string(e.From), string(e.To),
		e.Amount.Minor, e.Amount.Currency, e.Captured.Minor, e.Refunded.Minor, e.At, e.Cause}
}

// now is the store's clock: UTC, truncated to PostgreSQL's microseconds so
// that what the store hands back equals what it reads later.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// The range of PostgreSQL's timestamps, a little inside (4713 BC to 294276
// AD): no stored time is outside it.
var (
	minStored = time.Date(-4712, 12, 1, 0, 0, 0, 0, time.UTC)
	maxStored = time.Date(294276, 12, 1, 0, 0, 0, 0, time.UTC)
)

// bound is a caller's time bound as a query compares it: one beyond the
// range PostgreSQL's timestamps hold (a library's "no bound" written as a
// time far away) is clamped to that range, which bounds every stored time
// as it would, where PostgreSQL refused the query ("timestamp out of
// range"), an internal error where the other stores listed.
func bound(t time.Time) time.Time {
	switch {
	case t.Before(minStored):
		return minStored
	case t.After(maxStored):
		return maxStored
	}
	return t
}

// ceilMicro is the first microsecond at or after t. A stored time T (whole
// microseconds) is before t exactly when it is before ceilMicro(t), and at
// or after t exactly when it is at or after ceilMicro(t).
func ceilMicro(t time.Time) time.Time {
	f := t.Truncate(time.Microsecond)
	if f.Equal(t) {
		return f
	}
	return f.Add(time.Microsecond)
}

// floorMicro is the last microsecond at or before t. A stored time T is
// after t exactly when it is after floorMicro(t).
func floorMicro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }
