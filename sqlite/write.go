package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
)

// writeStmts are the writer's prepared statements on the write connection.
type writeStmts struct {
	begin, commit, rollback, savepoint, release, rollbackTo *sql.Stmt

	loadPayment, insertPayment, updateState *sql.Stmt
	insertEvent, insertApplied              *sql.Stmt
	upsertTally, dataVersion                *sql.Stmt

	all []*sql.Stmt

	// byText are the statements built per call (lists of consumers,
	// filters), prepared on the write connection at their first use: SQLite
	// parses and plans a statement in about the time it takes to run one.
	byText map[string]*sql.Stmt
}

// stateSet is the SET list of every change of a payment: its state, not
// the indexed columns a change of state keeps (order, backend, external id,
// currency). persist names those too when they changed: SQLite rewrites an
// index's entry whenever the SET list names one of its columns, changed or
// not, so naming them unchanged would rewrite up to four indexes' entries
// for nothing (EXPLAIN shows an IdxDelete and IdxInsert for each). A
// payment that failed or was cancelled leaves the one-live rule for good
// (one_live AND live): money arriving later is recorded even while another
// payment of its order is live.
const stateSet = `status = ?, amount = ?, locked = ?, captured = ?, refunded = ?, refund_asked = ?, advance = ?,
	active_op = ?, description = ?, buyer = ?, return_url = ?, client_ip = ?, redirect = ?, fraud = ?, version = ?,
	updated_at = ?, one_live = (one_live AND ?)`

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
		{&st.loadPayment, "SELECT " + paymentCols + " FROM payments WHERE id = ?"},
		{&st.insertPayment, "INSERT INTO payments (" + paymentCols + ", one_live) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
		{&st.updateState, "UPDATE payments SET " + stateSet + " WHERE id = ?"},
		{&st.insertEvent, "INSERT INTO outbox (" + eventCols + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"},
		{&st.insertApplied, "INSERT INTO applied_events (payment_id, event_key, applied_at) VALUES (?,?,?)"},
		{&st.upsertTally, upsertTally},
		{&st.dataVersion, "PRAGMA data_version"},
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
	for _, s := range st.byText {
		_ = s.Close()
	}
}

// insertEvent writes e to the outbox.
func (tx *wtx) insertEvent(e getpaid.Event) (seq int64, err error) {
	r, err := tx.exec(tx.st.insertEvent, e.ID, string(e.Type), e.PaymentID, e.OrderID, e.Backend,
		string(e.From), string(e.To), e.Amount.Minor, e.Amount.Currency, e.Captured.Minor, e.Refunded.Minor, nanos(e.At), e.Cause)
	if err != nil {
		return 0, err
	}
	return r.LastInsertId()
}

// CreatePayment implements getpaid.Store.
func (s *Store) CreatePayment(ctx context.Context, p *getpaid.Payment, opts getpaid.CreateOptions) (*getpaid.UpdateResult, error) {
	q := p.Clone()
	v, err := s.w.doAfter(ctx, func(tx *wtx) (any, error) { return tx.createPayment(q, opts) },
		func(v any) { s.w.cache.written(v.(*getpaid.UpdateResult), 0) })
	if err != nil {
		return nil, fmt.Errorf("sqlite: create payment %s: %w", p.ID, err)
	}
	return v.(*getpaid.UpdateResult), nil
}

// createPayment is CreatePayment's job on the writer: it writes what
// getpaid.PlanCreate decides.
func (tx *wtx) createPayment(p *getpaid.Payment, opts getpaid.CreateOptions) (any, error) {
	res, err := getpaid.PlanCreate(p, opts, now())
	if err != nil {
		return nil, err
	}
	f := res.Payment
	enc, err := encode(f)
	if err != nil {
		return nil, err
	}
	// A taken id, external id or create key, and a second live payment of an order
	// created under the one-live policy, are refused by UNIQUE indexes.
	_, err = tx.exec(tx.st.insertPayment, f.ID, f.OrderID, f.Backend, string(f.Status),
		f.Amount.Minor, f.Amount.Currency, f.Locked, f.Captured, f.Refunded, f.RefundAsked, f.Advance, f.ActiveOp,
		f.ExternalID, f.Description, enc.buyer, f.ReturnURL, f.ClientIP, enc.redirect,
		string(f.Fraud), f.Version, nanos(f.CreatedAt), nanos(f.UpdatedAt), f.CreateKey,
		// A payment its first change failed or cancelled (opts.Then) left
		// the one-live rule already, as one that ends later does.
		opts.OneLivePerOrder && f.Live())
	if err != nil {
		if isUnique(err) && strings.Contains(err.Error(), "payments.order_id") {
			return nil, fmt.Errorf("order %s: %w", f.OrderID, getpaid.ErrLivePaymentExists)
		}
		return nil, conflict(err)
	}
	tx.touch(f.ID)
	tx.jobTally.created(f)
	if m := opts.Then; m != nil {
		if err := tx.recordEvent(f.ID, m.EventKey, f.CreatedAt); err != nil {
			return nil, err
		}
	}
	// A new payment has no deliveries yet: none holds its own back.
	if err := tx.writeRows(f.ID, res, opts.Lease, true); err != nil {
		return nil, err
	}
	return res, nil
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
			if u := v.(updated); u.res.Changed || u.res.OperationNew {
				s.w.cache.written(u.res, u.prev)
			}
		})
	if err != nil {
		return nil, fmt.Errorf("sqlite: update payment %s: %w", id, err)
	}
	return v.(updated).res, nil
}

// updatePayment is UpdatePayment's job on the writer: it writes what
// getpaid.PlanUpdate decides.
func (tx *wtx) updatePayment(id string, m getpaid.Mutation) (any, error) {
	t := now()
	if err := tx.recordEvent(id, m.EventKey, t); err != nil {
		return nil, err
	}
	cur, err := tx.loadPayment(id)
	if err != nil {
		return nil, readErr(err)
	}
	var op *getpaid.Operation
	if m.Operation != nil && m.Operation.New == nil {
		op, err = scanOperation(tx.queryRow("SELECT "+operationCols+" FROM operations WHERE id = ? AND payment_id = ?", m.Operation.ID, id))
		if err != nil {
			return nil, fmt.Errorf("operation %s: %w", m.Operation.ID, readErr(err))
		}
	}
	res, err := getpaid.PlanUpdate(cur, op, m, t)
	if err != nil {
		return nil, err
	}
	if res.Changed {
		tx.touch(id)
		if err := tx.persist(cur, res.Payment); err != nil {
			return nil, err
		}
	}
	if err := tx.writeRows(id, res, m.Lease, false); err != nil {
		return nil, err
	}
	for _, k := range res.Marks {
		// One recorded before stays as it is (getpaid.Mutation.Marks).
		r, err := tx.execSQL("INSERT OR IGNORE INTO applied_events (payment_id, event_key, applied_at) VALUES (?,?,?)", id, k, nanos(t))
		if err != nil {
			return nil, err
		}
		if n, err := r.RowsAffected(); err != nil {
			return nil, err
		} else if n > 0 {
			res.NewMarks = append(res.NewMarks, k)
		}
	}
	return updated{res: res, prev: cur.Version}, nil
}

// loadPayment reads payment id for a change. The cache holds a payment as
// the last commit left it, and while the cache is usable this process is
// the only one writing the file (and holds its write lock for the batch):
// unless a job of this batch wrote the payment since, that is what the
// database holds, and no query is needed.
func (tx *wtx) loadPayment(id string) (*getpaid.Payment, error) {
	if !tx.touched[id] {
		if p, ok := tx.cache.payment(id); ok {
			return p, nil
		}
	}
	return scanPayment(tx.st.loadPayment.QueryRowContext(tx.ctx, id))
}

// updated is what updatePayment hands back: the result and the version the
// payment had before (for the read cache).
type updated struct {
	res  *getpaid.UpdateResult
	prev int64
}

// recordEvent records a mutation's event key for its payment first: a repeat
// fails here, before Apply. If anything later fails, the writer undoes the
// record.
func (tx *wtx) recordEvent(id, key string, t time.Time) error {
	if key == "" {
		return nil
	}
	if _, err := tx.exec(tx.st.insertApplied, id, key, nanos(t)); err != nil {
		if isUnique(err) {
			return fmt.Errorf("event %s: %w", key, getpaid.ErrDuplicateEvent)
		}
		return err
	}
	return nil
}

// writeRows writes the outbox events and their deliveries a change decided,
// the deliveries leased as lease asks (see getpaid.Mutation.Lease); fresh
// says the payment is new (no delivery of its is stored yet). The history
// row of a status change is its status event (historyQuery).
func (tx *wtx) writeRows(id string, res *getpaid.UpdateResult, lease *getpaid.DeliveryLease, fresh bool) error {
	if tr := res.Transition; tr != nil && !slices.ContainsFunc(res.Events, tr.RecordedBy) {
		return fmt.Errorf("sqlite: payment %s: the status change %s -> %s has no status event to record it", id, tr.From, tr.To)
	}
	seqs := make([]int64, len(res.Events)) // the events' outbox seqs, for their deliveries
	for i, ev := range res.Events {
		seq, err := tx.insertEvent(ev)
		if err != nil {
			return err
		}
		seqs[i] = seq
	}
	var earlier func(string) (bool, string, error)
	// behind is, per consumer, the pending delivery a held one is written
	// behind: the latest earlier one, then the one written before it.
	behind := map[string]string{}
	if !fresh {
		earlier = func(consumer string) (bool, string, error) {
			held, after, latest, err := tx.heldBack(id, consumer, lease)
			behind[consumer] = latest
			return held, after, err
		}
	}
	leased, err := res.PlanLeases(lease, earlier) // a job run again decides again
	if err != nil {
		return err
	}
	for j, d := range res.Deliveries {
		i := slices.IndexFunc(res.Events, func(ev getpaid.Event) bool { return ev.ID == d.EventID })
		if i < 0 {
			return fmt.Errorf("sqlite: delivery %s of an event not written with it", d.ID)
		}
		var l *getpaid.DeliveryLease
		after := ""
		switch {
		case leased == nil:
		case leased[j]:
			l = lease
		default:
			// Not leased: held back (PlanLeases).
			after = behind[d.Consumer]
			behind[d.Consumer] = d.ID
		}
		if err := tx.insertDelivery(d, seqs[i], l, after); err != nil {
			return err
		}
	}
	if res.OperationChanged {
		return tx.writeOperation(res.Operation, res.OperationNew)
	}
	return nil
}

// persist writes p, the changed version of cur: its state, and those of
// the indexed columns a change of state keeps (order, backend, external id,
// currency) that changed, such as the broker's id given when a payment is
// prepared (see stateSet).
func (tx *wtx) persist(cur, p *getpaid.Payment) error {
	enc, err := encode(p)
	if err != nil {
		return err
	}
	var set string
	var args []any
	for _, c := range [...]struct {
		col      string
		was, now string
	}{
		{"order_id", cur.OrderID, p.OrderID},
		{"backend", cur.Backend, p.Backend},
		{"external_id", cur.ExternalID, p.ExternalID},
		{"currency", cur.Amount.Currency, p.Amount.Currency},
	} {
		if c.now != c.was {
			set += c.col + " = ?, "
			args = append(args, c.now)
		}
	}
	args = append(args, string(p.Status), p.Amount.Minor, p.Locked, p.Captured, p.Refunded, p.RefundAsked, p.Advance,
		p.ActiveOp, p.Description, enc.buyer, p.ReturnURL, p.ClientIP, enc.redirect, string(p.Fraud), p.Version,
		nanos(p.UpdatedAt), p.Live(), p.ID)
	if set == "" {
		_, err = tx.exec(tx.st.updateState, args...)
	} else {
		// A new order or broker id may be taken (a UNIQUE index).
		_, err = tx.execSQL("UPDATE payments SET "+set+stateSet+" WHERE id = ?", args...)
		err = conflict(err)
	}
	if err == nil {
		tx.jobTally.moved(cur, p)
	}
	return err
}

// conflict wraps a uniqueness violation as getpaid.ErrConflict.
func conflict(err error) error {
	if isUnique(err) {
		return fmt.Errorf("%w: %w", getpaid.ErrConflict, err)
	}
	return err
}

// StalePayments implements getpaid.StaleLister. With a claim it runs on the
// writer, so listing and claiming are one transaction: two handles (or
// processes) never both get a payment within one claim.
func (s *Store) StalePayments(ctx context.Context, r getpaid.StaleRequest) ([]*getpaid.Payment, error) {
	// Read along the partial index of the statuses asked for, by their last
	// change (the planner, left to itself, walks every payment of the
	// status or of the backend): its status condition is written out, not
	// bound, so that the index applies.
	from := "payments INDEXED BY payments_waiting WHERE status IN ('prepared', 'charge_started')"
	if r.Ended {
		from = "payments INDEXED BY payments_ended WHERE status = 'cancelled'"
	}
	q := "SELECT " + paymentCols + " FROM " + from + " AND poll_after <= ?"
	args := []any{nanos(r.Now)}
	for _, c := range []struct {
		cond string
		t    time.Time
	}{{"updated_at < ?", r.UpdatedBefore}, {"updated_at > ?", r.UpdatedAfter}, {"created_at > ?", r.CreatedAfter}, {"created_at < ?", r.CreatedBefore}} {
		if !c.t.IsZero() {
			q += " AND " + c.cond
			args = append(args, nanos(c.t))
		}
	}
	if r.Backend != "" {
		q += " AND backend = ?"
		args = append(args, r.Backend)
	}
	limit := r.Limit
	if limit <= 0 {
		limit = -1
	}
	q += " ORDER BY updated_at LIMIT " + limitSQL(limit)
	if r.Claim <= 0 {
		out, err := scanPayments(s.query(ctx, q, args...))
		if err != nil {
			return nil, fmt.Errorf("sqlite: stale payments: %w", readErr(err))
		}
		return out, nil
	}
	v, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		out, err := scanPayments(tx.query(q, args...))
		if err != nil {
			return nil, readErr(err)
		}
		until := nanos(r.Now.Add(r.Claim))
		for _, p := range out {
			if _, err := tx.execSQL("UPDATE payments SET poll_after = ? WHERE id = ?", until, p.ID); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: stale payments: %w", err)
	}
	return v.([]*getpaid.Payment), nil
}
