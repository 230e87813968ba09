package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
)

// The statements of a view, sent as one batch: one round trip, on one
// connection, in one read-only repeatable-read transaction, so the payment,
// its history and its operations are read from one snapshot.
const (
	sqlViewBegin      = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	sqlViewHistory    = "SELECT from_status, to_status, at, cause FROM history WHERE payment_id = $1 ORDER BY seq"
	sqlViewOperations = "SELECT " + operationCols + " FROM operations WHERE payment_id = $1 ORDER BY seq DESC"
	sqlViewCommit     = "COMMIT"
)

// ViewPayment implements getpaid.PaymentViewer: the payment, its history
// and all its operations in one round trip (a pipelined batch), where the
// separate reads take three, each with a connection from the pool.
func (s *Store) ViewPayment(ctx context.Context, req getpaid.ViewRequest) (*getpaid.PaymentView, error) {
	id := req.PaymentID
	if err := notFound("view payment "+id, id); err != nil {
		return nil, err
	}
	var v *getpaid.PaymentView
	err := s.do(ctx, "view payment "+id, func(ctx context.Context, c *pgx.Conn) error {
		v = &getpaid.PaymentView{}
		b := &pgx.Batch{}
		b.Queue(sqlViewBegin)
		b.Queue(sqlPayment, id).QueryRow(func(row pgx.Row) error {
			var err error
			v.Payment, err = scanPayment(row)
			return err
		})
		b.Queue(sqlViewHistory, id).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var (
					tr       getpaid.Transition
					from, to string
				)
				if err := rows.Scan(&from, &to, &tr.At, &tr.Cause); err != nil {
					return err
				}
				tr.From, tr.To, tr.At = getpaid.Status(from), getpaid.Status(to), tr.At.UTC()
				v.History = append(v.History, tr)
			}
			return rows.Err()
		})
		b.Queue(sqlViewOperations, id).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				op, err := scanOperation(rows)
				if err != nil {
					return err
				}
				v.Operations = append(v.Operations, op)
			}
			return rows.Err()
		})
		b.Queue(sqlViewCommit)
		err := c.SendBatch(ctx, b).Close()
		if errors.Is(err, pgx.ErrNoRows) {
			return getpaid.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}
