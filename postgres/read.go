package postgres

import (
	"context"
	"errors"
	"slices"
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
func (s *Store) one(ctx context.Context, name, q string, args ...string) (*getpaid.Payment, error) {
	if err := notFound(name, args...); err != nil {
		return nil, err
	}
	var p *getpaid.Payment
	err := s.do(ctx, name, func(ctx context.Context, c *pgx.Conn) error {
		var err error
		p, err = scanPayment(c.QueryRow(ctx, q, anys(args)...))
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
	var w where
	w.add("order_id =", f.OrderID)
	w.add("status =", string(f.Status))
	w.add("backend =", f.Backend)
	w.add("currency =", f.Currency)
	// The term on '' lets the partial index on create_key answer.
	w.add("create_key <> '' AND create_key =", f.CreateKey)
	if !f.CreatedAfter.IsZero() {
		w.add("created_at >=", ceilMicro(bound(f.CreatedAfter)))
	}
	if !f.CreatedBefore.IsZero() {
		w.add("created_at <", ceilMicro(bound(f.CreatedBefore)))
	}
	page := &getpaid.PaymentPage{}
	next, err := s.page(ctx, "list payments", "payments", paymentCols, w, f.Limit, f.Cursor,
		func() { page.Payments = nil },
		func(rows pgx.Rows, seq *int64) error {
			p, err := scanPayment(rows, seq)
			if err == nil {
				page.Payments = append(page.Payments, p)
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	page.NextCursor = next
	return page, nil
}

// where collects the conditions of a listing query: each a column and an
// operator, completed with the placeholder of its argument.
type where struct {
	conds []string
	args  []any
	none  bool // a string compared is not text: no row matches
}

// add adds cond with arg, unless arg is the empty string.
func (w *where) add(cond string, arg any) {
	if s, ok := arg.(string); ok && s == "" {
		return
	} else if ok && !isText(s) {
		w.none = true
	}
	w.args = append(w.args, arg)
	w.conds = append(w.conds, cond+" $"+strconv.Itoa(len(w.args)))
}

// page runs a keyset listing of table, newest first by seq: one page of
// limit rows (0: getpaid.DefaultPageSize) after cursor (the seq of the
// previous page's last row), handing each row (seq, then cols) to scan after
// reset. It returns the next page's cursor, empty on the last page.
func (s *Store) page(ctx context.Context, name, table, cols string, w where, limit int, cursor string,
	reset func(), scan func(rows pgx.Rows, seq *int64) error) (string, error) {
	limit, err := getpaid.PaymentFilter{Limit: limit}.PageLimit()
	if err != nil {
		return "", err
	}
	if cursor != "" {
		seq, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || seq <= 0 {
			return "", &getpaid.FieldError{Field: "cursor", Reason: "not a cursor of this listing", Err: getpaid.ErrInvalidRequest}
		}
		w.add("seq <", seq)
	}
	q, args := pageSQL(table, cols, w, limit+1)
	if w.none {
		reset()
		return "", nil
	}
	var next string
	err = s.do(ctx, name, func(ctx context.Context, c *pgx.Conn) error {
		reset()
		next = ""
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var last int64
		for n := 0; rows.Next(); n++ {
			if n == limit {
				next = strconv.FormatInt(last, 10)
				break
			}
			if err := scan(rows, &last); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return next, err
}

// pageSQL is the text and arguments of a keyset listing of table's cols
// under w, newest first, at most limit rows.
func pageSQL(table, cols string, w where, limit int) (string, []any) {
	q := "SELECT seq, " + cols + " FROM " + table
	if len(w.conds) > 0 {
		q += " WHERE " + strings.Join(w.conds, " AND ")
	}
	args := append(w.args, limit)
	return q + " ORDER BY seq DESC LIMIT $" + strconv.Itoa(len(args)), args
}

// History implements getpaid.Store.
func (s *Store) History(ctx context.Context, paymentID string) ([]getpaid.Transition, error) {
	if err := notFound("history of "+paymentID, paymentID); err != nil {
		return nil, err
	}
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
	if !isText(paymentID) {
		return false, nil // no such payment
	}
	var applied bool
	err := s.do(ctx, "event applied", func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, sqlApplied, paymentID, storedKey(eventKey)).Scan(&applied)
	})
	return applied, err
}

// AppliedKeys implements getpaid.AppliedKeyLister. A payment has a few keys
// (one per broker event applied): they are read whole and filtered here, in
// byte order whatever the database's collation. A key kept as its digest
// (storedKey) begins with keyMark, which no backend's name does.
func (s *Store) AppliedKeys(ctx context.Context, paymentID, prefix string) ([]string, error) {
	if !isText(paymentID) {
		return nil, nil // no such payment
	}
	var out []string
	err := s.do(ctx, "applied keys", func(ctx context.Context, c *pgx.Conn) error {
		out = out[:0]
		rows, err := c.Query(ctx, "SELECT event_key FROM applied_events WHERE payment_id = $1", paymentID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			if strings.HasPrefix(k, prefix) {
				out = append(out, k)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

// anys is ss as query arguments.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
