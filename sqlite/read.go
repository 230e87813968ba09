package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/getpaid-go/getpaid"
)

// readStmts are the prepared read statements on the read-only pool.
type readStmts struct {
	payment, byExternal, byOrder, history, exists, pending, stale *sql.Stmt
	all                                                           []*sql.Stmt
}

// prepareReads prepares the read statements on db.
func prepareReads(ctx context.Context, db *sql.DB) (*readStmts, error) {
	rs := &readStmts{}
	for _, q := range []struct {
		dst  **sql.Stmt
		text string
	}{
		{&rs.payment, "SELECT " + paymentCols + " FROM payments WHERE id = ?"},
		{&rs.byExternal, "SELECT " + paymentCols + " FROM payments WHERE backend = ? AND external_id = ? AND external_id <> ''"},
		{&rs.byOrder, "SELECT " + paymentCols + " FROM payments WHERE order_id = ? ORDER BY seq"},
		{&rs.stale, "SELECT " + paymentCols + " FROM payments WHERE status IN ('prepared', 'charge_started') AND updated_at < ? AND created_at > ? ORDER BY updated_at LIMIT ?"},
		{&rs.history, "SELECT from_status, to_status, at, cause FROM history WHERE payment_id = ? ORDER BY seq"},
		{&rs.exists, "SELECT 1 FROM payments WHERE id = ?"},
		{&rs.pending, "SELECT " + eventCols + " FROM outbox WHERE delivered = 0 AND seq > coalesce((SELECT seq FROM outbox WHERE id = ?), 0) ORDER BY seq LIMIT ?"},
	} {
		s, err := db.PrepareContext(ctx, q.text)
		if err != nil {
			_ = rs.close()
			return nil, fmt.Errorf("prepare %q: %w", q.text, err)
		}
		*q.dst = s
		rs.all = append(rs.all, s)
	}
	return rs, nil
}

// close closes the prepared statements.
func (rs *readStmts) close() error {
	for _, s := range rs.all {
		_ = s.Close()
	}
	return nil
}

// Payment implements getpaid.Store.
func (s *Store) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	if p, _, ok := s.w.cache.get(id); ok {
		return p, nil
	}
	p, err := scanPayment(s.rs.payment.QueryRowContext(ctx, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: payment %s: %w", id, notFound(err))
	}
	return p, nil
}

// PaymentByExternalID implements getpaid.Store.
func (s *Store) PaymentByExternalID(ctx context.Context, backend, externalID string) (*getpaid.Payment, error) {
	p, err := scanPayment(s.rs.byExternal.QueryRowContext(ctx, backend, externalID))
	if err != nil {
		return nil, fmt.Errorf("sqlite: payment by external id %s/%s: %w", backend, externalID, notFound(err))
	}
	return p, nil
}

// PaymentsByOrder implements getpaid.Store.
func (s *Store) PaymentsByOrder(ctx context.Context, orderID string) ([]*getpaid.Payment, error) {
	out, err := scanPayments(s.rs.byOrder.QueryContext(ctx, orderID))
	if err != nil {
		return nil, fmt.Errorf("sqlite: payments of order %s: %w", orderID, err)
	}
	return out, nil
}

// StalePayments implements getpaid.StaleLister.
func (s *Store) StalePayments(ctx context.Context, updatedBefore, createdAfter time.Time, limit int) ([]*getpaid.Payment, error) {
	if limit <= 0 {
		limit = -1
	}
	out, err := scanPayments(s.rs.stale.QueryContext(ctx, nanos(updatedBefore), nanos(createdAfter), limit))
	if err != nil {
		return nil, fmt.Errorf("sqlite: stale payments: %w", err)
	}
	return out, nil
}

// scanPayments reads every payment of a query.
func scanPayments(rows *sql.Rows, err error) ([]*getpaid.Payment, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*getpaid.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// History implements getpaid.Store.
func (s *Store) History(ctx context.Context, paymentID string) ([]getpaid.Transition, error) {
	if _, h, ok := s.w.cache.get(paymentID); ok {
		return h, nil
	}
	gen := s.w.cache.generation()
	h, err := s.history(ctx, paymentID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: history of %s: %w", paymentID, err)
	}
	if s.w.cache != nil {
		// Fill the cache for the next reads, unless a commit raced this read.
		if p, err := scanPayment(s.rs.payment.QueryRowContext(ctx, paymentID)); err == nil {
			s.w.cache.fill(gen, p, h)
		}
	}
	return h, nil
}

func (s *Store) history(ctx context.Context, paymentID string) ([]getpaid.Transition, error) {
	rows, err := s.rs.history.QueryContext(ctx, paymentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []getpaid.Transition
	for rows.Next() {
		var (
			tr       getpaid.Transition
			from, to string
			at       int64
		)
		if err := rows.Scan(&from, &to, &at, &tr.Cause); err != nil {
			return nil, err
		}
		tr.From, tr.To, tr.At = getpaid.Status(from), getpaid.Status(to), fromNanos(at)
		out = append(out, tr)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		var one int
		if err := s.rs.exists.QueryRowContext(ctx, paymentID).Scan(&one); err != nil {
			return nil, notFound(err)
		}
	}
	return out, nil
}

// PendingEvents implements getpaid.Store. A limit of 0 or less means no limit.
func (s *Store) PendingEvents(ctx context.Context, after string, limit int) ([]getpaid.Event, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.rs.pending.QueryContext(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending events: %w", err)
	}
	defer rows.Close()
	var out []getpaid.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: pending events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: pending events: %w", err)
	}
	return out, nil
}
