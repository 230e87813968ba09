package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
)

// operationCols are the operations columns scanOperation reads, in order.
const operationCols = `id, payment_id, backend, kind, state, amount, currency, baseline, idempotency_key, request_hash,
	broker_ref, error, attempts, next_check_at, flagged, resolved_by, note, created_at, updated_at, last_check`

// scanOperation reads one operations row.
func scanOperation(sc scanner) (*getpaid.Operation, error) {
	var (
		op                 getpaid.Operation
		kind, state        string
		next, created, upd int64
		flagged            bool
	)
	err := sc.Scan(&op.ID, &op.PaymentID, &op.Backend, &kind, &state, &op.Amount.Minor, &op.Amount.Currency,
		&op.Baseline, &op.IdempotencyKey, &op.RequestHash, &op.BrokerRef, &op.Error, &op.Attempts, &next, &flagged,
		&op.ResolvedBy, &op.Note, &created, &upd, &op.LastCheck)
	if err != nil {
		return nil, err
	}
	op.Kind, op.State, op.Flagged = getpaid.OperationKind(kind), getpaid.OperationState(state), flagged
	op.NextCheckAt, op.CreatedAt, op.UpdatedAt = fromNanosOrZero(next), fromNanos(created), fromNanos(upd)
	return &op, nil
}

// fromNanosOrZero is fromNanos, with 0 meaning the zero time.
func fromNanosOrZero(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromNanos(n)
}

// nanosOrZero is nanos, with the zero time stored as 0.
func nanosOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return nanos(t)
}

// writeOperation inserts (isNew) or updates op.
func (tx *wtx) writeOperation(op *getpaid.Operation, isNew bool) error {
	if isNew {
		_, err := tx.execSQL(`INSERT INTO operations (`+operationCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			op.ID, op.PaymentID, op.Backend, string(op.Kind), string(op.State), op.Amount.Minor, op.Amount.Currency,
			op.Baseline, op.IdempotencyKey, op.RequestHash, op.BrokerRef, op.Error, op.Attempts, nanosOrZero(op.NextCheckAt), op.Flagged,
			op.ResolvedBy, op.Note, nanos(op.CreatedAt), nanos(op.UpdatedAt), op.LastCheck)
		return conflict(err)
	}
	_, err := tx.execSQL(`UPDATE operations SET state = ?, amount = ?, currency = ?, broker_ref = ?, error = ?, attempts = ?,
		next_check_at = ?, flagged = ?, resolved_by = ?, note = ?, updated_at = ?, last_check = ? WHERE id = ?`,
		string(op.State), op.Amount.Minor, op.Amount.Currency, op.BrokerRef, op.Error, op.Attempts,
		nanosOrZero(op.NextCheckAt), op.Flagged, op.ResolvedBy, op.Note, nanos(op.UpdatedAt), op.LastCheck, op.ID)
	return err
}

// Operation implements getpaid.Store.
func (s *Store) Operation(ctx context.Context, id string) (*getpaid.Operation, error) {
	op, err := scanOperation(s.queryRow(ctx, "SELECT "+operationCols+" FROM operations WHERE id = ?", id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: operation %s: %w", id, readErr(err))
	}
	return op, nil
}

// Operations implements getpaid.Store. The cursor is the seq of the last
// operation of the previous page.
func (s *Store) Operations(ctx context.Context, f getpaid.OperationFilter) (*getpaid.OperationPage, error) {
	if f.PaymentID != "" && (f == getpaid.OperationFilter{PaymentID: f.PaymentID, Limit: f.Limit}) && f.Limit >= 0 &&
		f.Limit <= getpaid.MaxPageSize && s.w.cache.withoutOperations(f.PaymentID) {
		return &getpaid.OperationPage{}, nil // a payment's page, known to be empty
	}
	page := &getpaid.OperationPage{}
	next, err := s.pageQuery(ctx, "operations", operationCols, operationWhere(f), f.Limit, f.Cursor, func(sc scanner) error {
		op, err := scanOperation(sc)
		if err == nil {
			page.Operations = append(page.Operations, op)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list operations: %w", err)
	}
	page.NextCursor = next
	return page, nil
}

// operationWhere selects the operations f asks for. The flagged ones are
// read along operations_flagged, which holds them only (SQLite takes a
// partial index for a query naming its condition as written).
func operationWhere(f getpaid.OperationFilter) where {
	var w where
	w.add("payment_id = ?", f.PaymentID)
	w.add("state = ?", string(f.State))
	w.add("kind = ?", string(f.Kind))
	w.add("idempotency_key = ?", f.IdempotencyKey)
	if f.FlaggedOnly {
		w.conds = append(w.conds, "flagged = 1")
	}
	return w
}

// DueOperations implements getpaid.Store: listing and claiming are one job
// of the writer.
func (s *Store) DueOperations(ctx context.Context, r getpaid.DueRequest) ([]*getpaid.Operation, error) {
	limit := r.Limit
	if limit <= 0 {
		limit = -1
	}
	v, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		rows, err := tx.query("SELECT "+operationCols+` FROM operations
			WHERE (state IN ('unknown', 'pending') AND next_check_at <= ?)
			   OR (state = 'submitting' AND updated_at < ? AND next_check_at <= ?)
			ORDER BY next_check_at, seq LIMIT `+limitSQL(limit), nanos(r.Now), nanosOrZero(r.SubmittingBefore), nanos(r.Now))
		if err != nil {
			return nil, readErr(err)
		}
		var out []*getpaid.Operation
		for rows.Next() {
			op, err := scanOperation(rows)
			if err != nil {
				rows.Close()
				return nil, readErr(err)
			}
			out = append(out, op)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, readErr(err)
		}
		if r.Claim > 0 {
			until := r.Now.Add(r.Claim)
			for _, op := range out {
				if _, err := tx.execSQL("UPDATE operations SET next_check_at = ? WHERE id = ?", nanos(until), op.ID); err != nil {
					return nil, err
				}
				op.NextCheckAt = until
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: due operations: %w", err)
	}
	return v.([]*getpaid.Operation), nil
}

// where collects the conditions of a listing query.
type where struct {
	conds []string
	args  []any
}

// add adds cond with arg, unless arg is the empty string.
func (w *where) add(cond string, arg any) {
	if s, ok := arg.(string); ok && s == "" {
		return
	}
	w.conds = append(w.conds, cond)
	w.args = append(w.args, arg)
}

// pageQuery runs a keyset listing of table, newest first by seq: one page of
// limit rows after cursor (the seq of the previous page's last row), handing
// each row's cols to scan. It returns the next page's cursor.
func (s *Store) pageQuery(ctx context.Context, table, cols string, w where, limit int, cursor string, scan func(scanner) error) (string, error) {
	limit, err := getpaid.PaymentFilter{Limit: limit}.PageLimit()
	if err != nil {
		return "", err
	}
	if cursor != "" {
		seq, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || seq <= 0 {
			return "", &getpaid.FieldError{Field: "cursor", Reason: "not a cursor of this listing", Err: getpaid.ErrInvalidRequest}
		}
		w.conds = append(w.conds, "seq < ?")
		w.args = append(w.args, seq)
	}
	rows, err := s.query(ctx, pageSQL(table, cols, w, limit+1), w.args...)
	if err != nil {
		return "", readErr(err)
	}
	defer rows.Close()
	var last int64
	n := 0
	for rows.Next() {
		if n == limit {
			return strconv.FormatInt(last, 10), nil
		}
		if err := scan(seqScanner{rows, &last}); err != nil {
			return "", readErr(err)
		}
		n++
	}
	return "", readErr(rows.Err())
}

// pageSQL is the text of a keyset listing of table's cols under w, newest
// first, at most limit rows.
func pageSQL(table, cols string, w where, limit int) string {
	q := "SELECT seq, " + cols + " FROM " + table
	if len(w.conds) > 0 {
		q += " WHERE " + strings.Join(w.conds, " AND ")
	}
	return q + " ORDER BY seq DESC LIMIT " + limitSQL(limit)
}

// limitSQL writes a LIMIT as a literal (-1: none). SQLite plans with the
// value of a bound LIMIT, so a statement whose LIMIT is a parameter is
// prepared again at every run: several times the cost of the query.
func limitSQL(n int) string { return strconv.Itoa(n) }
