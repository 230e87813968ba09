package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/getpaid-go/getpaid"
)

// readStmts are the prepared read statements on the read-only pool.
type readStmts struct {
	payment, byExternal, history, exists, applied *sql.Stmt
	all                                           []*sql.Stmt

	mu     sync.Mutex
	byText map[string]*sql.Stmt // prepared on first use (stmt)
}

// historyQuery reads a payment's history, oldest first: the rows the
// history table kept from before migration 012, then the status events
// written after it, each of which is the history row of its change (see
// migrations/012_history_in_outbox.sql). The outbox_payment index finds a
// payment's events.
//
// A getpaid older than 012 still running on the file once a newer one
// migrated it writes a history row beside each status event. The
// migration's trigger drops it, but not for the writer of getpaid 008 to
// 011, whose connection runs with triggers off (tally.go): its rows stay.
// Such a row says what an event after history_end says (the same from, to
// and at: the cause may be missing from the event, see the migration), so
// it is left out here, and each change is read once, from its event.
const historyQuery = `SELECT from_status, to_status, at, cause FROM (
		SELECT 0 AS part, seq, from_status, to_status, at, cause FROM history h WHERE payment_id = ?1
		AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.payment_id = ?1 AND o.type = 'payment.status_changed'
			AND o.seq > coalesce((SELECT outbox_seq FROM history_end), 0)
			AND o.from_status = h.from_status AND o.to_status = h.to_status AND o.at = h.at)
		UNION ALL
		SELECT 1, seq, from_status, to_status, at, cause FROM outbox
		WHERE payment_id = ?1 AND type = 'payment.status_changed' AND seq > coalesce((SELECT outbox_seq FROM history_end), 0))
	ORDER BY part, seq`

// prepareReads prepares the read statements on db.
func prepareReads(ctx context.Context, db *sql.DB) (*readStmts, error) {
	rs := &readStmts{}
	for _, q := range []struct {
		dst  **sql.Stmt
		text string
	}{
		{&rs.payment, "SELECT " + paymentCols + " FROM payments WHERE id = ?"},
		{&rs.byExternal, "SELECT " + paymentCols + " FROM payments WHERE backend = ? AND external_id = ? AND external_id <> ''"},
		{&rs.history, historyQuery},
		{&rs.exists, "SELECT 1 FROM payments WHERE id = ?"},
		{&rs.applied, "SELECT 1 FROM applied_events WHERE payment_id = ? AND event_key = ?"},
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

// close closes the prepared statements, those prepared on demand too.
func (rs *readStmts) close() error {
	for _, s := range rs.all {
		_ = s.Close()
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, s := range rs.byText {
		_ = s.Close()
	}
	rs.byText = nil
	return nil
}

// maxCachedStmts bounds the statements prepared on demand: listings build
// their text from the filters given, a few dozen combinations in all.
const maxCachedStmts = 256

// stmt returns the read statement of text q, prepared once on first use
// (parsing and planning cost more than running most of these queries), or
// nil when the cache is full.
func (rs *readStmts) stmt(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	rs.mu.Lock()
	st, ok := rs.byText[q]
	full := len(rs.byText) >= maxCachedStmts
	rs.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if prev, ok := rs.byText[q]; ok {
		_ = st.Close()
		return prev, nil
	}
	if rs.byText == nil {
		rs.byText = map[string]*sql.Stmt{}
	}
	rs.byText[q] = st
	return st, nil
}

// query runs a read query through its cached prepared statement.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.rs.stmt(ctx, s.read, q)
	if err != nil || st == nil {
		return s.read.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is query for one row.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.rs.stmt(ctx, s.read, q)
	if err != nil || st == nil {
		return s.read.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Payment implements getpaid.Store.
func (s *Store) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	if p, _, ok := s.w.cache.get(id); ok {
		return p, nil
	}
	p, err := scanPayment(s.rs.payment.QueryRowContext(ctx, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: payment %s: %w", id, readErr(err))
	}
	return p, nil
}

// PaymentByExternalID implements getpaid.Store.
func (s *Store) PaymentByExternalID(ctx context.Context, backend, externalID string) (*getpaid.Payment, error) {
	p, err := scanPayment(s.rs.byExternal.QueryRowContext(ctx, backend, externalID))
	if err != nil {
		return nil, fmt.Errorf("sqlite: payment by external id %s/%s: %w", backend, externalID, readErr(err))
	}
	return p, nil
}

// Payments implements getpaid.Store: newest first by insertion order (seq),
// one query per page, walking an index on the filtered column. The cursor is
// the seq of the last payment of the previous page.
func (s *Store) Payments(ctx context.Context, f getpaid.PaymentFilter) (*getpaid.PaymentPage, error) {
	table, w := s.paymentListing(ctx, f)
	page := &getpaid.PaymentPage{}
	next, err := s.pageQuery(ctx, table, paymentCols, w, f.Limit, f.Cursor, func(sc scanner) error {
		p, err := scanPayment(sc)
		if err == nil {
			page.Payments = append(page.Payments, p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list payments: %w", err)
	}
	page.NextCursor = next
	return page, nil
}

// paymentListing is what a listing of f reads (the table, or the table
// through the index it must use) and its conditions, but the cursor's.
func (s *Store) paymentListing(ctx context.Context, f getpaid.PaymentFilter) (string, where) {
	var w where
	w.add("order_id = ?", f.OrderID)
	w.add("status = ?", string(f.Status))
	w.add("backend = ?", f.Backend)
	w.add("currency = ?", f.Currency)
	// The term on '' lets the partial index on create_key answer.
	w.add("create_key = ? AND create_key <> ''", f.CreateKey)
	if !f.CreatedAfter.IsZero() {
		w.add("created_at >= ?", boundNanos(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		w.add("created_at < ?", boundNanos(f.CreatedBefore))
	}
	if s.rangeFirst(ctx, f) {
		return "payments INDEXED BY payments_created_at", w
	}
	if index := s.narrowest(ctx, f); index != "" {
		return "payments INDEXED BY " + index, w
	}
	return "payments", w
}

// narrowest names the index to walk for a listing by more than one of
// order, create key, status, backend and currency: a create key's (one
// payment), an order's (a few), else that of the filter fewest payments
// match, which payment_totals tells without touching the payments.
// SQLite, without statistics, takes one of them as it comes (the
// backend's for a status and a backend, even for an order and a backend),
// and walking it for the payments the other filters take read every
// payment of that backend ever made when few of them are in the status
// asked for (the console's payments stuck at PayU) or of the order. It is
// "" for one filter: the planner takes its index.
func (s *Store) narrowest(ctx context.Context, f getpaid.PaymentFilter) string {
	switch {
	case f.CreateKey != "":
		return "payments_create_key"
	case f.OrderID != "":
		return "payments_order_id"
	}
	var (
		sums    []string
		args    []any
		indexes []string
	)
	for _, c := range []struct{ col, val, index string }{
		{"status", string(f.Status), "payments_status_seq"},
		{"backend", f.Backend, "payments_backend_seq"},
		{"currency", f.Currency, "payments_currency_seq"},
	} {
		if c.val != "" {
			sums = append(sums, "coalesce(SUM(count) FILTER (WHERE "+c.col+" = ?), 0)")
			args = append(args, c.val)
			indexes = append(indexes, c.index)
		}
	}
	if len(sums) < 2 {
		return ""
	}
	counts := make([]int64, len(sums))
	dest := make([]any, len(sums))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := s.queryRow(ctx, "SELECT "+strings.Join(sums, ", ")+" FROM payment_totals", args...).Scan(dest...); err != nil {
		return ""
	}
	best := 0
	for i, n := range counts {
		if n < counts[best] {
			best = i
		}
	}
	return indexes[best]
}

// seqScanner reads a leading seq column, then hands the rest to scanPayment.
type seqScanner struct {
	rows *sql.Rows
	seq  *int64
}

func (s seqScanner) Scan(dest ...any) error {
	return s.rows.Scan(append([]any{s.seq}, dest...)...)
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
		return nil, fmt.Errorf("sqlite: history of %s: %w", paymentID, readErr(err))
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
	out, err := scanHistory(s.rs.history.QueryContext(ctx, paymentID))
	if err != nil || len(out) > 0 {
		return out, err
	}
	var one int
	if err := s.rs.exists.QueryRowContext(ctx, paymentID).Scan(&one); err != nil {
		return nil, err
	}
	return out, nil
}

// scanHistory reads the rows of the history statement.
func scanHistory(rows *sql.Rows, err error) ([]getpaid.Transition, error) {
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
	return out, rows.Err()
}

// EventApplied implements getpaid.Store.
func (s *Store) EventApplied(ctx context.Context, paymentID, eventKey string) (bool, error) {
	var one int
	err := s.rs.applied.QueryRowContext(ctx, paymentID, eventKey).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: event applied: %w", readErr(err))
	}
	return true, nil
}

// AppliedKeys implements getpaid.AppliedKeyLister. A payment has a few keys
// (one per broker event applied): they are read whole and filtered here.
func (s *Store) AppliedKeys(ctx context.Context, paymentID, prefix string) ([]string, error) {
	rows, err := s.query(ctx, "SELECT event_key FROM applied_events WHERE payment_id = ?", paymentID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: applied keys: %w", readErr(err))
	}
	out, err := keysWith(rows, prefix)
	if err != nil {
		return nil, fmt.Errorf("sqlite: applied keys: %w", readErr(err))
	}
	return out, nil
}

// keysWith reads rows of one text column, keeping those that begin with
// prefix, in byte order.
func keysWith(rows *sql.Rows, prefix string) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, rows.Err()
}
