package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

var _ getpaid.PaymentViewer = (*Store)(nil)

// ViewPayment implements getpaid.PaymentViewer. The API reads a payment
// being paid twice per lifecycle: when the cache holds it and knows it has
// no money operations, the view comes from memory in one look, with one
// check that this process is still alone on the file (the separate reads
// made three). Otherwise the payment, its history and its operations are
// read in one read-only transaction, so that they agree.
func (s *Store) ViewPayment(ctx context.Context, r getpaid.ViewRequest) (*getpaid.PaymentView, error) {
	if p, hist, ok := s.w.cache.view(r.PaymentID); ok {
		return &getpaid.PaymentView{Payment: p, History: hist}, nil
	}
	v, err := s.viewTx(ctx, r.PaymentID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: view payment %s: %w", r.PaymentID, readErr(err))
	}
	return v, nil
}

// viewTx reads a view from one snapshot: a deferred transaction on a read
// connection sees the database as of its first read.
func (s *Store) viewTx(ctx context.Context, id string) (*getpaid.PaymentView, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	p, err := scanPayment(tx.StmtContext(ctx, s.rs.payment).QueryRowContext(ctx, id))
	if err != nil {
		return nil, err
	}
	v := &getpaid.PaymentView{Payment: p}
	if v.History, err = scanHistory(tx.StmtContext(ctx, s.rs.history).QueryContext(ctx, id)); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+operationCols+" FROM operations WHERE payment_id = ? ORDER BY seq DESC", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		op, err := scanOperation(rows)
		if err != nil {
			return nil, err
		}
		v.Operations = append(v.Operations, op)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return v, tx.Commit()
}
