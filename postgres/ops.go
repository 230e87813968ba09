package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
)

// operationCols are the operations columns scanOperation reads, in order.
const operationCols = `id, payment_id, backend, kind, state, amount, currency, baseline, idempotency_key, request_hash,
	broker_ref, error, attempts, next_check_at, flagged, resolved_by, note, created_at, updated_at, last_check`

// The operation statements.
const (
	sqlInsertOperation = "INSERT INTO operations (" + operationCols + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`
	sqlUpdateOperation = `UPDATE operations SET state = $2, amount = $3, currency = $4, broker_ref = $5, error = $6,
		attempts = $7, next_check_at = $8, flagged = $9, resolved_by = $10, note = $11, updated_at = $12,
		last_check = $13 WHERE id = $1`
	sqlLockOperation = "SELECT " + operationCols + " FROM operations WHERE id = $1 AND payment_id = $2 FOR UPDATE"
	sqlOperation     = "SELECT " + operationCols + " FROM operations WHERE id = $1"
)

// scanOperation reads one operations row of operationCols (after any
// leading columns scanned into lead).
func scanOperation(row pgx.Row, lead ...any) (*getpaid.Operation, error) {
	var (
		op          getpaid.Operation
		kind, state string
	)
	err := row.Scan(append(lead, &op.ID, &op.PaymentID, &op.Backend, &kind, &state, &op.Amount.Minor, &op.Amount.Currency,
		&op.Baseline, &op.IdempotencyKey, &op.RequestHash, &op.BrokerRef, &op.Error, &op.Attempts, &op.NextCheckAt,
		&op.Flagged, &op.ResolvedBy, &op.Note, &op.CreatedAt, &op.UpdatedAt, &op.LastCheck)...)
	if err != nil {
		return nil, err
	}
	op.Kind, op.State = getpaid.OperationKind(kind), getpaid.OperationState(state)
	op.NextCheckAt, op.CreatedAt, op.UpdatedAt = op.NextCheckAt.UTC(), op.CreatedAt.UTC(), op.UpdatedAt.UTC()
	return &op, nil
}

// queueOperation queues the insert (isNew) or update of op.
func queueOperation(b *pgx.Batch, op *getpaid.Operation, isNew bool) {
	if isNew {
		b.Queue(sqlInsertOperation, op.ID, op.PaymentID, op.Backend, string(op.Kind), string(op.State), op.Amount.Minor,
			op.Amount.Currency, op.Baseline, op.IdempotencyKey, op.RequestHash, op.BrokerRef, op.Error, op.Attempts,
			op.NextCheckAt, op.Flagged, op.ResolvedBy, op.Note, op.CreatedAt, op.UpdatedAt, op.LastCheck)
		return
	}
	b.Queue(sqlUpdateOperation, op.ID, string(op.State), op.Amount.Minor, op.Amount.Currency, op.BrokerRef, op.Error,
		op.Attempts, op.NextCheckAt, op.Flagged, op.ResolvedBy, op.Note, op.UpdatedAt, op.LastCheck)
}

// Operation implements getpaid.Store.
func (s *Store) Operation(ctx context.Context, id string) (*getpaid.Operation, error) {
	if err := notFound("operation "+id, id); err != nil {
		return nil, err
	}
	var op *getpaid.Operation
	err := s.do(ctx, "operation "+id, func(ctx context.Context, c *pgx.Conn) error {
		var err error
		op, err = scanOperation(c.QueryRow(ctx, sqlOperation, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return getpaid.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return op, nil
}

// Operations implements getpaid.Store: newest first by creation order (seq).
// The cursor is the seq of the last operation of the previous page.
func (s *Store) Operations(ctx context.Context, f getpaid.OperationFilter) (*getpaid.OperationPage, error) {
	page := &getpaid.OperationPage{}
	next, err := s.page(ctx, "list operations", "operations", operationCols, operationWhere(f), f.Limit, f.Cursor,
		func() { page.Operations = nil },
		func(rows pgx.Rows, seq *int64) error {
			op, err := scanOperation(rows, seq)
			if err == nil {
				page.Operations = append(page.Operations, op)
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	page.NextCursor = next
	return page, nil
}

// operationWhere selects the operations f asks for; the flagged ones are
// read along operations_flagged, which holds them only.
func operationWhere(f getpaid.OperationFilter) where {
	var w where
	w.add("payment_id =", f.PaymentID)
	w.add("state =", string(f.State))
	w.add("kind =", string(f.Kind))
	w.add("idempotency_key =", f.IdempotencyKey)
	if f.FlaggedOnly {
		w.conds = append(w.conds, "flagged")
	}
	return w
}

// sqlDue lists the operations due for a check, oldest check first; sqlClaimDue
// does the same and claims them in one statement, skipping rows another
// transaction holds (FOR UPDATE SKIP LOCKED: another process's claim, or a
// change of the operation in progress), so no two callers get one operation
// within a claim, and neither waits for the other.
const (
	sqlDuePick = ` FROM operations
		WHERE (state IN ('unknown', 'pending') AND next_check_at <= $1)
		   OR (state = 'submitting' AND updated_at < $2 AND next_check_at <= $1)
		ORDER BY next_check_at, seq LIMIT $3`
	sqlDue      = "SELECT next_check_at, seq, " + operationCols + sqlDuePick
	sqlClaimDue = "WITH picked AS (SELECT id AS picked_id, next_check_at AS due_at, seq AS picked_seq" + sqlDuePick +
		` FOR UPDATE SKIP LOCKED)
		UPDATE operations SET next_check_at = $4 FROM picked WHERE id = picked_id
		RETURNING due_at, picked_seq, ` + operationCols
)

// DueOperations implements getpaid.Store. With a claim, listing and claiming
// are one statement (see sqlClaimDue).
func (s *Store) DueOperations(ctx context.Context, r getpaid.DueRequest) ([]*getpaid.Operation, error) {
	var limit *int
	if r.Limit > 0 {
		limit = &r.Limit
	}
	// A submitting operation is due when it was last changed strictly
	// before SubmittingBefore; the others when their check is at or before
	// Now (stored times are whole microseconds).
	q, args := sqlDue, []any{floorMicro(r.Now), ceilMicro(r.SubmittingBefore), limit}
	if r.Claim > 0 {
		q, args = sqlClaimDue, append(args, r.Now.Add(r.Claim))
	}
	type due struct {
		at  time.Time // the check it was due for, for the order
		seq int64
		op  *getpaid.Operation
	}
	var out []due
	err := s.do(ctx, "due operations", func(ctx context.Context, c *pgx.Conn) error {
		out = out[:0]
		err := readCommitted(ctx, c, q, args, func(rows pgx.Rows) error {
			var (
				d   due
				err error
			)
			if d.op, err = scanOperation(rows, &d.at, &d.seq); err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
		if r.Claim > 0 {
			// A claim lost with the connection only delays a check.
			return uncertain(err)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b due) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	ops := make([]*getpaid.Operation, len(out))
	for i, d := range out {
		ops[i] = d.op
	}
	return ops, nil
}
