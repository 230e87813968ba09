package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
)

// writeStmts are the writer's prepared statements on the write connection.
type writeStmts struct {
	begin, commit, rollback, savepoint, release, rollbackTo *sql.Stmt

	liveExists                                             *sql.Stmt
	loadPayment, insertPayment, updatePayment, updateState *sql.Stmt
	insertHistory, insertEvent, insertApplied              *sql.Stmt

	all []*sql.Stmt
}

// prepareWrites prepares every write statement on conn.
func prepareWrites(ctx context.Context, conn *sql.Conn) (*writeStmts, error) {
	st := &writeStmts{}
	for _, q := range []struct {
		dst  **sql.Stmt
		text string
	}{
		{&st.begin, "BEGIN IMMEDIATE"},
		{&st.commit, "COMMIT"},
		{&st.rollback, "ROLLBACK"},
		{&st.savepoint, "SAVEPOINT job"},
		{&st.release, "RELEASE job"},
		{&st.rollbackTo, "ROLLBACK TO job"},
		{&st.liveExists, "SELECT 1 FROM payments WHERE order_id = ? AND status NOT IN ('failed', 'cancelled') LIMIT 1"},
		{&st.loadPayment, "SELECT " + paymentCols + " FROM payments WHERE id = ?"},
		{&st.insertPayment, "INSERT INTO payments (" + paymentCols + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
		{&st.updatePayment, `UPDATE payments SET order_id = ?, backend = ?, status = ?, amount = ?, currency = ?,
			locked = ?, captured = ?, refunded = ?, refund_asked = ?, external_id = ?, description = ?,
			buyer = ?, return_url = ?, client_ip = ?, redirect = ?, fraud = ?, version = ?, updated_at = ?
			WHERE id = ?`},
		// updateState leaves the indexed columns alone, so their index
		// entries are not rewritten: the common case, and fewer pages per commit.
		{&st.updateState, `UPDATE payments SET status = ?, amount = ?, currency = ?, locked = ?, captured = ?,
			refunded = ?, refund_asked = ?, description = ?, buyer = ?, return_url = ?, client_ip = ?,
			redirect = ?, fraud = ?, version = ?, updated_at = ?
			WHERE id = ?`},
		{&st.insertHistory, "INSERT INTO history (payment_id, from_status, to_status, at, cause) VALUES (?,?,?,?,?)"},
		{&st.insertEvent, "INSERT INTO outbox (" + eventCols + ") VALUES (?,?,?,?,?,?,?,?,?,?,?)"},
		{&st.insertApplied, "INSERT INTO applied_events (event_key, payment_id, applied_at) VALUES (?,?,?)"},
	} {
		s, err := conn.PrepareContext(ctx, q.text)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("prepare %q: %w", q.text, err)
		}
		*q.dst = s
		st.all = append(st.all, s)
	}
	return st, nil
}

// close closes the prepared statements.
func (st *writeStmts) close() {
	for _, s := range st.all {
		_ = s.Close()
	}
}

// exists runs a "SELECT 1" statement and reports whether it found a row.
func (tx *wtx) exists(s *sql.Stmt, args ...any) (bool, error) {
	var one int
	err := s.QueryRowContext(tx.ctx, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// insertEvent writes e to the outbox.
func (tx *wtx) insertEvent(e getpaid.Event) error {
	_, err := tx.exec(tx.st.insertEvent, e.ID, string(e.Type), e.PaymentID, e.OrderID, e.Backend,
		string(e.From), string(e.To), e.Amount.Minor, e.Amount.Currency, e.Captured.Minor, nanos(e.At))
	return err
}

// created is what CreatePayment's job reports back.
// created is what createPayment reports: the creation time, with
// CreateOptions.Then the payment after the first change, and for the cache
// the payment as stored with its history.
type created struct {
	at    int64
	then  *getpaid.Payment
	final *getpaid.Payment
	hist  []getpaid.Transition
}

// updated is what updatePayment reports: the result, the version it changed
// and the history row it wrote, if any.
type updated struct {
	res  *getpaid.UpdateResult
	prev int64
	row  *getpaid.Transition
}

// CreatePayment implements getpaid.Store. It sets p's Version, CreatedAt and
// UpdatedAt once the payment is committed.
func (s *Store) CreatePayment(ctx context.Context, p *getpaid.Payment, opts getpaid.CreateOptions) error {
	enc, err := encode(p)
	if err != nil {
		return fmt.Errorf("sqlite: create payment: %w", err)
	}
	q := p.Clone()
	v, err := s.w.doAfter(ctx, func(tx *wtx) (any, error) { return tx.createPayment(q, enc, opts) },
		func(v any) { c := v.(created); s.w.cache.created(c.final, c.hist) })
	if err != nil {
		return fmt.Errorf("sqlite: create payment %s: %w", p.ID, err)
	}
	c := v.(created)
	p.Version, p.CreatedAt, p.UpdatedAt = 1, fromNanos(c.at), fromNanos(c.at)
	if c.then != nil {
		*p = *c.then.Clone()
		p.CreatedAt, p.UpdatedAt = fromNanos(nanos(p.CreatedAt)), fromNanos(nanos(p.UpdatedAt))
	}
	return nil
}

// createPayment is CreatePayment's job on the writer.
func (tx *wtx) createPayment(p *getpaid.Payment, enc encoded, opts getpaid.CreateOptions) (any, error) {
	// Duplicate ids and external ids are refused by the UNIQUE indexes.
	if opts.OneLivePerOrder {
		if live, err := tx.exists(tx.st.liveExists, p.OrderID); err != nil || live {
			return nil, orErr(err, fmt.Errorf("order %s: %w", p.OrderID, getpaid.ErrLivePaymentExists))
		}
	}
	t := now()
	p.Version, p.CreatedAt, p.UpdatedAt = 1, t, t
	at := nanos(t)
	createdEv := getpaid.NewCreatedEvent(p, t)
	// With Then, the first change is applied before the row is written, so
	// the payment is inserted once, in its final state, with the history row
	// and status event the change calls for.
	final, then := p, (*getpaid.Payment)(nil)
	var statusEv *getpaid.Event
	if m := opts.Then; m != nil {
		// Recorded first, as in updatePayment; the writer undoes it if
		// anything later fails.
		if err := tx.recordEvent(m.EventKey, p.ID, t); err != nil {
			return nil, err
		}
		q := p.Clone()
		changed, err := m.Apply(q)
		if err != nil {
			return nil, err
		}
		if changed {
			q.ID, q.CreatedAt = p.ID, p.CreatedAt
			q.Version, q.UpdatedAt = 2, t
			if q.Status != p.Status {
				ev := getpaid.NewStatusEvent(q, p.Status, t)
				statusEv = &ev
			}
			if enc, err = encode(q); err != nil {
				return nil, err
			}
			final = q
		}
		then = final
	}
	_, err := tx.exec(tx.st.insertPayment, final.ID, final.OrderID, final.Backend, string(final.Status),
		final.Amount.Minor, final.Amount.Currency, final.Locked, final.Captured, final.Refunded, final.RefundAsked,
		final.ExternalID, final.Description, enc.buyer, final.ReturnURL, final.ClientIP, enc.redirect,
		string(final.Fraud), final.Version, at, nanos(final.UpdatedAt))
	if err != nil {
		return nil, conflict(err)
	}
	if err := tx.insertEvent(createdEv); err != nil {
		return nil, err
	}
	if statusEv != nil {
		if _, err := tx.exec(tx.st.insertHistory, p.ID, string(p.Status), string(final.Status), at, opts.Then.Cause); err != nil {
			return nil, err
		}
		if err := tx.insertEvent(*statusEv); err != nil {
			return nil, err
		}
	}
	c := created{at: at, then: then, final: final}
	if statusEv != nil {
		c.hist = []getpaid.Transition{{From: p.Status, To: final.Status, At: fromNanos(at), Cause: opts.Then.Cause}}
	}
	return c, nil
}

// UpdatePayment implements getpaid.Store. m.Apply runs on the writer
// goroutine, inside the transaction that persists its result, so it is called
// exactly once per attempt and never concurrently with another write. It must
// be quick and must not call the store's write methods (that would wait for
// the writer it is blocking). A panic in Apply is re-raised in the caller.
func (s *Store) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	if m.Apply == nil {
		return nil, fmt.Errorf("sqlite: update payment %s: %w: mutation without Apply", id, getpaid.ErrInvalidRequest)
	}
	v, err := s.w.doAfter(ctx, func(tx *wtx) (any, error) { return tx.updatePayment(id, m) },
		func(v any) {
			if u := v.(updated); u.res.Changed {
				s.w.cache.updated(u.res.Payment, u.prev, u.row)
			}
		})
	if err != nil {
		return nil, fmt.Errorf("sqlite: update payment %s: %w", id, err)
	}
	return v.(updated).res, nil
}

// updatePayment is UpdatePayment's job on the writer.
func (tx *wtx) updatePayment(id string, m getpaid.Mutation) (any, error) {
	t := now()
	if err := tx.recordEvent(m.EventKey, id, t); err != nil {
		return nil, err
	}
	cur, err := scanPayment(tx.st.loadPayment.QueryRowContext(tx.ctx, id))
	if err != nil {
		return nil, notFound(err)
	}
	res, err := tx.applyMutation(cur, m, t)
	if err != nil {
		return nil, err
	}
	u := updated{res: res, prev: cur.Version}
	if res.Changed && res.Payment.Status != cur.Status {
		u.row = &getpaid.Transition{From: cur.Status, To: res.Payment.Status, At: fromNanos(nanos(t)), Cause: m.Cause}
	}
	return u, nil
}

// recordEvent records a mutation's event key first: a repeat fails here,
// before Apply. If anything later fails, the writer undoes the record.
func (tx *wtx) recordEvent(key, id string, t time.Time) error {
	if key == "" {
		return nil
	}
	if _, err := tx.exec(tx.st.insertApplied, key, id, nanos(t)); err != nil {
		if isUnique(err) {
			return fmt.Errorf("event %s: %w", key, getpaid.ErrDuplicateEvent)
		}
		return err
	}
	return nil
}

// applyMutation applies m to cur and persists the result with its history
// row and status event.
func (tx *wtx) applyMutation(cur *getpaid.Payment, m getpaid.Mutation, t time.Time) (*getpaid.UpdateResult, error) {
	id := cur.ID
	p := cur.Clone()
	changed, err := m.Apply(p)
	if err != nil {
		return nil, err
	}
	res := &getpaid.UpdateResult{Payment: cur, Changed: changed}
	if changed {
		p.ID, p.CreatedAt = cur.ID, cur.CreatedAt // not Apply's to change
		p.Version, p.UpdatedAt = cur.Version+1, t
		if err := tx.persist(cur, p); err != nil {
			return nil, err
		}
		if p.Status != cur.Status {
			_, err := tx.exec(tx.st.insertHistory, id, string(cur.Status), string(p.Status), nanos(t), m.Cause)
			if err != nil {
				return nil, err
			}
			ev := getpaid.NewStatusEvent(p, cur.Status, t)
			if err := tx.insertEvent(ev); err != nil {
				return nil, err
			}
			res.Events = []getpaid.Event{ev}
		}
		res.Payment = p
	}
	return res, nil
}

// persist writes p, the changed version of cur. When no indexed column
// (order, backend, external id) changed, it leaves those columns alone.
func (tx *wtx) persist(cur, p *getpaid.Payment) error {
	enc, err := encode(p)
	if err != nil {
		return err
	}
	if p.OrderID == cur.OrderID && p.Backend == cur.Backend && p.ExternalID == cur.ExternalID {
		_, err = tx.exec(tx.st.updateState, string(p.Status), p.Amount.Minor, p.Amount.Currency,
			p.Locked, p.Captured, p.Refunded, p.RefundAsked, p.Description, enc.buyer, p.ReturnURL,
			p.ClientIP, enc.redirect, string(p.Fraud), p.Version, nanos(p.UpdatedAt), p.ID)
		return err
	}
	_, err = tx.exec(tx.st.updatePayment, p.OrderID, p.Backend, string(p.Status),
		p.Amount.Minor, p.Amount.Currency, p.Locked, p.Captured, p.Refunded, p.RefundAsked,
		p.ExternalID, p.Description, enc.buyer, p.ReturnURL, p.ClientIP, enc.redirect,
		string(p.Fraud), p.Version, nanos(p.UpdatedAt), p.ID)
	return conflict(err)
}

// MarkDelivered implements getpaid.Store. Unknown ids are ignored.
func (s *Store) MarkDelivered(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		// One statement per chunk: a batch of acknowledgements costs the
		// writer about as much as one update.
		const chunk = 200
		for len(ids) > 0 {
			n := min(chunk, len(ids))
			args := make([]any, n)
			for i, id := range ids[:n] {
				args[i] = id
			}
			q := "UPDATE outbox SET delivered = 1 WHERE delivered = 0 AND id IN (?" + strings.Repeat(",?", n-1) + ")"
			if _, err := tx.execSQL(q, args...); err != nil {
				return nil, err
			}
			ids = ids[n:]
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: mark delivered: %w", err)
	}
	return nil
}

// orErr returns err if it is set, else refusal.
func orErr(err, refusal error) error {
	if err != nil {
		return err
	}
	return refusal
}

// conflict wraps a uniqueness violation as getpaid.ErrConflict.
func conflict(err error) error {
	if isUnique(err) {
		return fmt.Errorf("%w: %w", getpaid.ErrConflict, err)
	}
	return err
}
