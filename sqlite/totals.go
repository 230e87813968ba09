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

var (
	_ getpaid.PaymentTotaler  = (*Store)(nil)
	_ getpaid.BacklogReporter = (*Store)(nil)
	_ getpaid.Readier         = (*Store)(nil)
)

// day is the length of a bucket of payment_totals, in nanoseconds.
const day = int64(24 * time.Hour)

// PaymentTotals implements getpaid.PaymentTotaler. With an order id or a
// create key it counts that order's payments, or that key's one (an index
// finds them: payment_totals keeps neither). Otherwise whole days
// come from payment_totals, which the writer (for its own writes) and
// triggers (for other connections') keep in step with every payment write,
// and only the parts of days a created-between bound cuts are
// counted from payments (through the created_at index).
func (s *Store) PaymentTotals(ctx context.Context, f getpaid.PaymentFilter) ([]getpaid.PaymentTotal, error) {
	acc := totals{}
	var err error
	if f.OrderID != "" || f.CreateKey != "" {
		err = s.countPayments(ctx, f, acc)
	} else {
		err = s.sumTotals(ctx, f, acc)
	}
	if errors.Is(err, getpaid.ErrTotalTooLarge) {
		return nil, fmt.Errorf("sqlite: payment totals: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: payment totals: %w", readErr(err))
	}
	return acc.list(), nil
}

// sumTotals adds whole days from payment_totals and the cut days' payments.
func (s *Store) sumTotals(ctx context.Context, f getpaid.PaymentFilter, acc totals) error {
	var lo, hi int64 = -1 << 62, 1 << 62 // created_at bounds, [lo, hi)
	if !f.CreatedAfter.IsZero() {
		lo = boundNanos(f.CreatedAfter)
	}
	if !f.CreatedBefore.IsZero() {
		hi = boundNanos(f.CreatedBefore)
	}
	if lo >= hi {
		return nil
	}
	// Whole days [dlo, dhi): those entirely inside [lo, hi).
	dlo, dhi := ceilDiv(lo, day), floorDiv(hi, day)
	if dlo >= dhi {
		return s.countRange(ctx, f, lo, hi, acc)
	}
	var w where
	w.add("status = ?", string(f.Status))
	w.add("backend = ?", f.Backend)
	w.add("currency = ?", f.Currency)
	if !f.CreatedAfter.IsZero() {
		w.add("day >= ?", dlo)
	}
	if !f.CreatedBefore.IsZero() {
		w.add("day < ?", dhi)
	}
	q := "SELECT status, currency, SUM(count), SUM(amount) FROM payment_totals"
	if len(w.conds) > 0 {
		q += " WHERE " + strings.Join(w.conds, " AND ")
	}
	if err := acc.query(ctx, s.read, q+" GROUP BY status, currency", w.args); err != nil {
		return err
	}
	if !f.CreatedAfter.IsZero() && lo < dlo*day {
		if err := s.countRange(ctx, f, lo, dlo*day, acc); err != nil {
			return err
		}
	}
	if !f.CreatedBefore.IsZero() && dhi*day < hi {
		return s.countRange(ctx, f, dhi*day, hi, acc)
	}
	return nil
}

// countRange counts the payments matching f created in [lo, hi), a part
// of a day or two: read through the created_at index, which holds just
// those (by the status, backend or currency index, which SQLite takes
// without statistics, it read every payment of that status, backend or
// currency ever made).
func (s *Store) countRange(ctx context.Context, f getpaid.PaymentFilter, lo, hi int64, acc totals) error {
	q, args := rangeCountSQL(f, lo, hi)
	return acc.query(ctx, s.read, q, args)
}

// rangeCountSQL is countRange's statement.
func rangeCountSQL(f getpaid.PaymentFilter, lo, hi int64) (string, []any) {
	f.CreatedAfter, f.CreatedBefore = fromNanos(lo), fromNanos(hi)
	return countSQL(f, "payments INDEXED BY payments_created_at")
}

// countPayments counts the payments of an order or a create key matching
// f row by row.
func (s *Store) countPayments(ctx context.Context, f getpaid.PaymentFilter, acc totals) error {
	q, args := keyCountSQL(f)
	return acc.query(ctx, s.read, q, args)
}

// keyCountSQL is countPayments' statement: along the index of the create
// key or the order, which SQLite, without statistics, passed over for a
// backend's (reading every payment of that backend) when f named one too.
func keyCountSQL(f getpaid.PaymentFilter) (string, []any) {
	table := "payments INDEXED BY payments_order_id"
	if f.CreateKey != "" {
		table = "payments INDEXED BY payments_create_key"
	}
	return countSQL(f, table)
}

// countSQL is the count of the payments matching f in table, by status and
// currency.
func countSQL(f getpaid.PaymentFilter, table string) (string, []any) {
	var w where
	w.add("order_id = ?", f.OrderID)
	// The term on '' lets the partial index on create_key answer.
	w.add("create_key = ? AND create_key <> ''", f.CreateKey)
	w.add("status = ?", string(f.Status))
	w.add("backend = ?", f.Backend)
	w.add("currency = ?", f.Currency)
	if !f.CreatedAfter.IsZero() {
		w.add("created_at >= ?", boundNanos(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		w.add("created_at < ?", boundNanos(f.CreatedBefore))
	}
	q := "SELECT status, currency, COUNT(*), SUM(amount) FROM " + table
	if len(w.conds) > 0 {
		q += " WHERE " + strings.Join(w.conds, " AND ")
	}
	return q + " GROUP BY status, currency", w.args
}

// totals accumulates counts and sums by status and currency.
type totals map[[2]string]*getpaid.PaymentTotal

func (t totals) query(ctx context.Context, db *sql.DB, q string, args []any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var status, cur string
		var n int64
		var sum any
		if err := rows.Scan(&status, &cur, &n, &sum); err != nil {
			return err
		}
		// A sum past the int64 range: SQLite's integer + turns it into a
		// float (the running totals' upsert), which is no exact amount.
		v, ok := sum.(int64)
		if !ok && sum != nil {
			return fmt.Errorf("the %s payments in %s: %w", status, cur, getpaid.ErrTotalTooLarge)
		}
		if err := t.add(getpaid.Status(status), cur, n, v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil && strings.Contains(err.Error(), "integer overflow") {
		return getpaid.ErrTotalTooLarge // SUM's own overflow
	}
	return rows.Err()
}

func (t totals) add(status getpaid.Status, cur string, n, sum int64) error {
	if n == 0 {
		return nil
	}
	k := [2]string{string(status), cur}
	if t[k] == nil {
		t[k] = &getpaid.PaymentTotal{Status: status, Amount: getpaid.Money{Currency: cur}}
	}
	return t[k].Add(n, sum)
}

func (t totals) list() []getpaid.PaymentTotal {
	out := make([]getpaid.PaymentTotal, 0, len(t))
	for _, v := range t {
		if v.Count > 0 {
			out = append(out, *v)
		}
	}
	getpaid.SortTotals(out)
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// The Backlog's reads: of deliveries, and of operations (those in doubt on
// operations_state; the flagged ones, settled ones too, on
// operations_flagged, which holds them only).
const (
	backlogInDoubt = "SELECT COUNT(*) FROM operations WHERE state = 'unknown'"
	backlogFlagged = "SELECT COUNT(*) FROM operations WHERE flagged = 1"
	backlogPending = "SELECT COUNT(*) FROM deliveries WHERE state = 'pending'"
	backlogDead    = "SELECT COUNT(*) FROM deliveries WHERE state = 'dead' AND state <> 'delivered'"
	backlogOldest  = "SELECT created_at FROM deliveries WHERE state = 'pending' AND state <> 'delivered' ORDER BY seq LIMIT 1"
)

// Backlog implements getpaid.BacklogReporter: the pending deliveries (a
// partial index holds exactly those), the oldest of them, and the dead ones
// (counted on the deliveries_state index, which SQLite takes for a query
// naming its condition).
func (s *Store) Backlog(ctx context.Context) (getpaid.Backlog, error) {
	var b getpaid.Backlog
	if err := s.queryRow(ctx, backlogPending).Scan(&b.Pending); err != nil {
		return b, fmt.Errorf("sqlite: backlog: %w", readErr(err))
	}
	if err := s.queryRow(ctx, backlogDead).Scan(&b.Dead); err != nil {
		return b, fmt.Errorf("sqlite: backlog: %w", readErr(err))
	}
	// Flagged ones are counted settled too: the broker contradicted how
	// they ended (see engine.ResolveOperation).
	if err := s.queryRow(ctx, backlogInDoubt).Scan(&b.InDoubt); err != nil {
		return b, fmt.Errorf("sqlite: backlog: %w", readErr(err))
	}
	if err := s.queryRow(ctx, backlogFlagged).Scan(&b.Flagged); err != nil {
		return b, fmt.Errorf("sqlite: backlog: %w", readErr(err))
	}
	var oldest int64
	err := s.queryRow(ctx, backlogOldest).Scan(&oldest)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return b, fmt.Errorf("sqlite: backlog: %w", readErr(err))
	default:
		b.Oldest = fromNanos(oldest)
	}
	return b, nil
}

// Ready implements getpaid.Readier: it fails once the disk failed the
// store (a flush or a write of the WAL, or a checkpoint: until it is opened
// again); else it opens a new read-only connection to the file (which fails if the
// file is gone or cannot be read), reads the schema version and checks it
// against this package's migrations.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.ready(ctx); err != nil {
		return fmt.Errorf("sqlite: ready: %w", err)
	}
	return nil
}

func (s *Store) ready(ctx context.Context) error {
	s.w.mu.RLock()
	closed := s.w.closed
	s.w.mu.RUnlock()
	if closed {
		return errClosed // its own probe below would still reach the file
	}
	// The disk failed the store: said as such (getpaid.ErrDiskFailed), so
	// that /readyz names the disk, not an unreachable database.
	if s.w.sync != nil {
		if err := s.w.sync.failure(); err != nil {
			return diskFailed(err)
		}
	}
	if err := s.w.cp.failure(); err != nil {
		return diskFailed(err)
	}
	if err := s.watch.failure(); err != nil {
		return diskFailed(err)
	}
	if err := s.walBroken(); err != nil {
		return diskFailed(unavailable(fmt.Errorf("sqlite: a write of the WAL failed: %w; the store takes no more writes until it is opened again", err)))
	}
	db, err := sql.Open(s.driver, s.probeDSN)
	if err != nil {
		return unavailable(err)
	}
	defer db.Close()
	db.SetMaxIdleConns(0)
	if err := db.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1 FROM sqlite_schema LIMIT 1").Scan(&one); err != nil {
		return unavailable(err)
	}
	return schemaCheck(ctx, db)
}

// diskFailed marks a failure of the store's files on the disk.
func diskFailed(err error) error {
	if errors.Is(err, getpaid.ErrDiskFailed) {
		return err
	}
	return fmt.Errorf("%w: %w", getpaid.ErrDiskFailed, err)
}

// rangeFirst decides how a listing bounded by creation time is read. The
// default walks newest first along seq (or an index of an equality filter)
// and skips what is newer than the range; it does not know where the range
// ends, so the page that reaches the range's end (the last, and the only
// one of a range holding a page or less) reads on through every payment
// older than the range too. Reading the range through the created_at index
// and sorting it is cheaper when the range holds fewer payments than the
// walk would skip on either side. payment_totals tells the counts (by
// whole days, which is precise enough to choose) without touching the
// payments; SQLite's own planner, without statistics, cannot.
func (s *Store) rangeFirst(ctx context.Context, f getpaid.PaymentFilter) bool {
	if f.OrderID != "" || f.CreateKey != "" || f.CreatedAfter.IsZero() && f.CreatedBefore.IsZero() {
		return false // an order's few payments (or a key's one), or no range: the default is best
	}
	var w where
	w.add("status = ?", string(f.Status))
	w.add("backend = ?", f.Backend)
	w.add("currency = ?", f.Currency)
	cond := ""
	if len(w.conds) > 0 {
		cond = " AND " + strings.Join(w.conds, " AND ")
	}
	lo, hi := int64(-1<<62), int64(1<<62) // the range's days, [lo, hi]
	if !f.CreatedAfter.IsZero() {
		lo = floorDiv(boundNanos(f.CreatedAfter), day)
	}
	if !f.CreatedBefore.IsZero() {
		hi = floorDiv(boundNanos(f.CreatedBefore)-1, day)
	}
	count := func(days string, args ...any) (int64, bool) {
		var n sql.NullInt64
		err := s.queryRow(ctx, "SELECT SUM(count) FROM payment_totals WHERE "+days+cond, append(args, w.args...)...).Scan(&n)
		return n.Int64, err == nil
	}
	inRange, ok := count("day >= ? AND day <= ?", lo, hi)
	if !ok {
		return false
	}
	skipped, ok := count("day > ?", hi)
	if !ok {
		return false
	}
	if 2*inRange >= skipped && !f.CreatedAfter.IsZero() {
		older, ok := count("day < ?", lo)
		if !ok {
			return false
		}
		skipped += older
	}
	return 2*inRange < skipped
}

// WaitDurable implements getpaid.DurableWaiter: a job of no statements
// through the writer, answered, as every job is, after a flush of the WAL
// that began after it was taken, so after every commit before it. Without
// the syncer (synchronous other than FULL) it returns at once: a commit is
// then as durable as that setting makes it when it is seen.
func (s *Store) WaitDurable(ctx context.Context) error {
	if s.w.sync == nil {
		return nil
	}
	if _, err := s.w.do(ctx, func(*wtx) (any, error) { return nil, nil }); err != nil {
		return fmt.Errorf("sqlite: wait until durable: %w", err)
	}
	return nil
}
