package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
)

// The read statements. Every read goes to the database: there is no cache,
// so what any process committed is read back by every other at once.
const (
	sqlPayment    = "SELECT " + paymentCols + " FROM payments WHERE id = $1"
	sqlByExternal = "SELECT " + paymentCols + " FROM payments WHERE backend = $1 AND external_id = $2 AND external_id <> ''"
	// One statement tells "no history" (a row of NULLs) from "no payment"
	// (no row).
	sqlHistory = `SELECT h.from_status, h.to_status, h.at, h.cause FROM payments p
		LEFT JOIN history h ON h.payment_id = p.id WHERE p.id = $1 ORDER BY h.seq`
	sqlApplied = "SELECT EXISTS (SELECT 1 FROM applied_events WHERE payment_id = $1 AND event_key = $2)"
	sqlPending = "SELECT " + eventCols + ` FROM outbox WHERE NOT delivered
		AND seq > coalesce((SELECT seq FROM outbox WHERE id = $1), 0) ORDER BY seq LIMIT $2`
)

// Payment implements getpaid.Store.
func (s *Store) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	return s.one(ctx, "payment "+id, sqlPayment, id)
}

// PaymentByExternalID implements getpaid.Store.
func (s *Store) PaymentByExternalID(ctx context.Context, backend, externalID string) (*getpaid.Payment, error) {
	return s.one(ctx, "payment by external id "+backend+"/"+externalID, sqlByExternal, backend, externalID)
}

// one reads one payment; no row is getpaid.ErrNotFound.
func (s *Store) one(ctx context.Context, name, q string, args ...any) (*getpaid.Payment, error) {
	var p *getpaid.Payment
	err := s.do(ctx, name, func(ctx context.Context, c *pgx.Conn) error {
		var err error
		p, err = scanPayment(c.QueryRow(ctx, q, args...))
		if errors.Is(err, pgx.ErrNoRows) {
			return getpaid.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Payments implements getpaid.Store: newest first by creation order (seq),
// one query per page, walking an index on the filtered column. The cursor is
// the seq of the last payment of the previous page.
func (s *Store) Payments(ctx context.Context, f getpaid.PaymentFilter) (*getpaid.PaymentPage, error) {
	limit, err := f.PageLimit()
	if err != nil {
		return nil, err
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.OrderID != "" {
		add("order_id =", f.OrderID)
	}
	if f.Status != "" {
		add("status =", string(f.Status))
	}
	if f.Backend != "" {
		add("backend =", f.Backend)
	}
	if f.Currency != "" {
		add("currency =", f.Currency)
	}
	if !f.CreatedAfter.IsZero() {
		add("created_at >=", ceilMicro(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		add("created_at <", ceilMicro(f.CreatedBefore))
	}
	if f.Cursor != "" {
		seq, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || seq <= 0 {
			return nil, &getpaid.FieldError{Field: "cursor", Reason: "not a cursor of this listing", Err: getpaid.ErrInvalidRequest}
		}
		add("seq <", seq)
	}
	q := "SELECT seq, " + paymentCols + " FROM payments"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit+1)
	q += " ORDER BY seq DESC LIMIT $" + strconv.Itoa(len(args))
	page := &getpaid.PaymentPage{}
	err = s.do(ctx, "list payments", func(ctx context.Context, c *pgx.Conn) error {
		page.Payments, page.NextCursor = nil, ""
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var last int64
		for rows.Next() {
			if len(page.Payments) == limit {
				page.NextCursor = strconv.FormatInt(last, 10)
				break
			}
			p, err := scanPayment(rows, &last)
			if err != nil {
				return err
			}
			page.Payments = append(page.Payments, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// History implements getpaid.Store.
func (s *Store) History(ctx context.Context, paymentID string) ([]getpaid.Transition, error) {
	var out []getpaid.Transition
	err := s.do(ctx, "history of "+paymentID, func(ctx context.Context, c *pgx.Conn) error {
		out = nil
		rows, err := c.Query(ctx, sqlHistory, paymentID)
		if err != nil {
			return err
		}
		defer rows.Close()
		found := false
		for rows.Next() {
			found = true
			var (
				from, to, cause *string
				at              *time.Time
			)
			if err := rows.Scan(&from, &to, &at, &cause); err != nil {
				return err
			}
			if from == nil {
				continue // the payment has no history yet
			}
			out = append(out, getpaid.Transition{From: getpaid.Status(*from), To: getpaid.Status(*to), At: at.UTC(), Cause: *cause})
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if !found {
			return getpaid.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EventApplied implements getpaid.Store.
func (s *Store) EventApplied(ctx context.Context, paymentID, eventKey string) (bool, error) {
	var applied bool
	err := s.do(ctx, "event applied", func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, sqlApplied, paymentID, eventKey).Scan(&applied)
	})
	return applied, err
}

// PendingEvents implements getpaid.Store. A limit of 0 or less means no
// limit.
func (s *Store) PendingEvents(ctx context.Context, after string, limit int) ([]getpaid.Event, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	var out []getpaid.Event
	err := s.do(ctx, "pending events", func(ctx context.Context, c *pgx.Conn) error {
		out = nil
		rows, err := c.Query(ctx, sqlPending, after, lim)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEvent(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
