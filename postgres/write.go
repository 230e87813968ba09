package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
)

// The write statements. pgx prepares each once per connection and keeps it
// in its statement cache.
const (
	sqlInsertPayment = "INSERT INTO payments (" + paymentCols + `, one_live)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`
	sqlLockPayment = "SELECT " + paymentCols + " FROM payments WHERE id = $1 FOR UPDATE"
	sqlRecordEvent = "INSERT INTO applied_events (payment_id, event_key, applied_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
	// A payment that failed or was cancelled leaves the one-live rule for
	// good: money arriving later is recorded even while another payment of
	// its order is live.
	sqlUpdatePayment = `UPDATE payments SET order_id = $2, backend = $3, status = $4, amount = $5, currency = $6,
		locked = $7, captured = $8, refunded = $9, refund_asked = $10, advance = $11, active_op = $12, external_id = $13,
		description = $14, buyer = $15, return_url = $16, client_ip = $17, redirect = $18, fraud = $19,
		version = $20, created_at = $21, updated_at = $22,
		one_live = one_live AND $4 NOT IN ('failed', 'cancelled') WHERE id = $1`
	sqlInsertHistory = "INSERT INTO history (payment_id, from_status, to_status, at, cause) VALUES ($1, $2, $3, $4, $5)"
	sqlInsertEvent   = "INSERT INTO outbox (" + eventCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)

// queueRows queues the history row, the outbox events, their deliveries
// (those leased[i] leased as lease says) and the operation a change decided.
func queueRows(b *pgx.Batch, id string, res *getpaid.UpdateResult, leased []bool, lease *getpaid.DeliveryLease) {
	if tr := res.Transition; tr != nil {
		b.Queue(sqlInsertHistory, id, string(tr.From), string(tr.To), tr.At, tr.Cause)
	}
	for _, ev := range res.Events {
		b.Queue(sqlInsertEvent, eventArgs(ev)...)
	}
	for i, d := range res.Deliveries {
		owner, until := "", (*time.Time)(nil)
		if leased != nil && leased[i] {
			owner, until = lease.Owner, &lease.Until
		}
		b.Queue(sqlInsertDelivery, d.ID, d.EventID, d.PaymentID, d.Consumer, string(d.State), d.NextAt, d.CreatedAt, d.UpdatedAt,
			owner, until)
	}
	if res.OperationChanged {
		queueOperation(b, res.Operation, res.OperationNew)
	}
}

// CreatePayment implements getpaid.Store: what getpaid.PlanCreate decides is
// written by one pipelined batch, one round trip and one transaction. A taken id or external id, and a second live payment of an
// order created under the one-live policy, are refused by unique indexes.
func (s *Store) CreatePayment(ctx context.Context, p *getpaid.Payment, opts getpaid.CreateOptions) (*getpaid.UpdateResult, error) {
	var res *getpaid.UpdateResult
	err := s.do(ctx, "create payment "+p.ID, func(ctx context.Context, c *pgx.Conn) error {
		var err error
		res, err = getpaid.PlanCreate(p, opts, now())
		if err != nil {
			return err
		}
		asStored(res)
		// A new payment has no deliveries yet: none holds its own back.
		leased, err := res.PlanLeases(opts.Lease, nil)
		if err != nil {
			return err
		}
		f := res.Payment
		args, err := paymentArgs(f)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		// Read committed whatever the database's default (see begin),
		// still one round trip.
		b.Queue("BEGIN ISOLATION LEVEL READ COMMITTED")
		// A payment its first change failed or cancelled (opts.Then) left
		// the one-live rule already, as one that ends later does.
		b.Queue(sqlInsertPayment, append(args, f.CreateKey, opts.OneLivePerOrder && f.Live())...)
		if m := opts.Then; m != nil && m.EventKey != "" {
			b.Queue(sqlRecordEvent, f.ID, storedKey(m.EventKey), f.CreatedAt)
		}
		queueRows(b, f.ID, res, leased, opts.Lease)
		b.Queue("COMMIT")
		err = commitBatch(ctx, c, b)
		switch {
		case isUnique(err, "payments_one_live"):
			return fmt.Errorf("order %s: %w", f.OrderID, getpaid.ErrLivePaymentExists)
		case isUnique(err, ""):
			return fmt.Errorf("%w: %w", getpaid.ErrConflict, err)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// UpdatePayment implements getpaid.Store in one transaction of two round
// trips: the first begins it, locks the payment's row (SELECT ... FOR
// UPDATE: every change of one payment, from any process, waits its turn)
// and records the event key (the primary key of applied_events refuses a
// repeat, which is then reported without calling Apply); the second, after
// getpaid.PlanUpdate, writes what it decided and commits. A deadlock, a
// serialization failure or a lost connection before the commit is sent
// rolls everything back and the whole of it, Apply included, runs again.
func (s *Store) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	if m.Apply == nil {
		return nil, fmt.Errorf("postgres: update payment %s: %w: mutation without Apply", id, getpaid.ErrInvalidRequest)
	}
	if err := notFound("update payment "+id, id); err != nil {
		return nil, err
	}
	var res *getpaid.UpdateResult
	err := s.do(ctx, "update payment "+id, func(ctx context.Context, c *pgx.Conn) error {
		var err error
		res, err = s.update(ctx, c, id, m)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Store) update(ctx context.Context, c *pgx.Conn, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	t := now()
	b := &pgx.Batch{}
	started := s.begin(b)
	b.Queue(sqlLockPayment, id)
	if m.EventKey != "" {
		b.Queue(sqlRecordEvent, id, storedKey(m.EventKey), t)
	}
	stored := m.Operation != nil && m.Operation.New == nil
	if stored {
		// Locked too: the reconciler's claims (DueOperations) skip it
		// meanwhile instead of racing this change.
		b.Queue(sqlLockOperation, m.Operation.ID, id)
	}
	leasing := m.Lease != nil && len(m.Deliver) > 0
	if leasing {
		// Read under the payment's lock: its deliveries are written only
		// under it.
		b.Queue(sqlEarlierDeliveries, id, m.Lease.Owner, m.Lease.Now)
	}
	br := c.SendBatch(ctx, b)
	var (
		cur     *getpaid.Payment
		op      *getpaid.Operation
		earlier = map[string]earlierDeliveries{} // by consumer
	)
	err := func() error {
		defer br.Close()
		for range started {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		var err error
		cur, err = scanPayment(br.QueryRow())
		if errors.Is(err, pgx.ErrNoRows) {
			return getpaid.ErrNotFound
		}
		if err != nil {
			return err
		}
		if m.EventKey != "" {
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("event %s: %w", m.EventKey, getpaid.ErrDuplicateEvent)
			}
		}
		if stored {
			op, err = scanOperation(br.QueryRow())
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("operation %s: %w", m.Operation.ID, getpaid.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		if leasing {
			if err := readEarlier(br, earlier); err != nil {
				return err
			}
		}
		return br.Close()
	}()
	if err != nil {
		return nil, err // the caller rolls back
	}
	// The change's time is taken once the row is locked: a change that
	// waited for the lock behind another is not stamped before it.
	res, err := getpaid.PlanUpdate(cur, op, m, now())
	if err != nil {
		return nil, err
	}
	asStored(res)
	leased, err := res.PlanLeases(m.Lease, func(consumer string) (bool, string, error) {
		e := earlier[consumer]
		return e.held, e.latest, nil
	})
	if err != nil {
		return nil, err
	}
	if len(res.Marks) > 0 {
		if res.NewMarks, err = newMarks(ctx, c, id, res.Marks); err != nil {
			return nil, err
		}
	}
	b = &pgx.Batch{}
	if res.Changed {
		args, err := paymentArgs(res.Payment)
		if err != nil {
			return nil, err
		}
		b.Queue(sqlUpdatePayment, args...)
	}
	queueRows(b, id, res, leased, m.Lease)
	for _, k := range res.Marks {
		// One recorded before stays as it is (getpaid.Mutation.Marks).
		b.Queue(sqlRecordEvent, id, storedKey(k), t)
	}
	b.Queue("COMMIT")
	err = commitBatch(ctx, c, b)
	if isUnique(err, "") {
		// A change that would give an order a second live payment or an
		// external id another payment has, or an operation whose id, or
		// idempotency key on this payment, is taken.
		return nil, fmt.Errorf("%w: %w", getpaid.ErrConflict, err)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// newMarks returns those of keys not recorded on payment id
// (getpaid.UpdateResult.NewMarks). Read under the payment's lock, which
// every write of its keys takes first: none is recorded meanwhile.
func newMarks(ctx context.Context, c *pgx.Conn, id string, keys []string) ([]string, error) {
	stored := make([]string, len(keys))
	for i, k := range keys {
		stored[i] = storedKey(k)
	}
	rows, err := c.Query(ctx, "SELECT event_key FROM applied_events WHERE payment_id = $1 AND event_key = ANY($2)", id, stored)
	if err != nil {
		return nil, err
	}
	recorded, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var out []string
	for i, k := range keys {
		if !slices.Contains(recorded, stored[i]) {
			out = append(out, k)
		}
	}
	return out, nil
}

// earlierDeliveries is what a change's deliveries to one consumer follow:
// whether a pending one not leased to the change's lease owner holds them
// back, and else the latest pending one.
type earlierDeliveries struct {
	held   bool
	latest string
}

// readEarlier reads sqlEarlierDeliveries' rows into by.
func readEarlier(br pgx.BatchResults, by map[string]earlierDeliveries) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var consumer, id string
		var mine bool
		if err := rows.Scan(&consumer, &id, &mine); err != nil {
			return err
		}
		e, seen := by[consumer]
		if !seen {
			e.latest = id // latest first
		}
		if !mine {
			e.held, e.latest = true, ""
		}
		by[consumer] = e
	}
	return rows.Err()
}

// asStored rounds the times of res the caller chose (an operation's next
// check) to what PostgreSQL keeps, microseconds, so that what the store
// hands back equals what it reads later. The store's own times already are.
func asStored(res *getpaid.UpdateResult) {
	if op := res.Operation; op != nil {
		op.NextCheckAt = floorMicro(op.NextCheckAt)
	}
}

// StalePayments implements getpaid.StaleLister. With a claim, listing and
// claiming are one statement that skips rows another transaction holds
// (FOR UPDATE SKIP LOCKED): two processes never both get a payment within
// one claim, and neither waits for the other.
func (s *Store) StalePayments(ctx context.Context, r getpaid.StaleRequest) ([]*getpaid.Payment, error) {
	// Written out, not bound, so that the partial indexes payments_waiting
	// and payments_ended serve them.
	status := "status IN ('prepared', 'charge_started')"
	if r.Ended {
		status = "status = 'cancelled'"
	}
	where := []string{status, "poll_after <= $1"}
	args := []any{r.Now}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if !r.UpdatedBefore.IsZero() {
		add("updated_at <", ceilMicro(r.UpdatedBefore))
	}
	if !r.UpdatedAfter.IsZero() {
		add("updated_at >", floorMicro(r.UpdatedAfter))
	}
	if !r.CreatedAfter.IsZero() {
		add("created_at >", floorMicro(r.CreatedAfter))
	}
	if !r.CreatedBefore.IsZero() {
		add("created_at <", ceilMicro(r.CreatedBefore))
	}
	if r.Backend != "" {
		add("backend =", r.Backend)
	}
	var limit *int
	if r.Limit > 0 {
		limit = &r.Limit
	}
	args = append(args, limit)
	pick := " FROM payments WHERE " + strings.Join(where, " AND ") + " ORDER BY updated_at, seq LIMIT $" + strconv.Itoa(len(args))
	q := "SELECT " + paymentCols + pick
	if r.Claim > 0 {
		args = append(args, r.Now.Add(r.Claim))
		q = "WITH picked AS (SELECT id AS picked_id" + pick + " FOR UPDATE SKIP LOCKED) " +
			"UPDATE payments SET poll_after = $" + strconv.Itoa(len(args)) +
			" FROM picked WHERE id = picked_id RETURNING " + paymentCols
	}
	var out []*getpaid.Payment
	err := s.do(ctx, "stale payments", func(ctx context.Context, c *pgx.Conn) error {
		out = out[:0]
		err := readCommitted(ctx, c, q, args, func(rows pgx.Rows) error {
			p, err := scanPayment(rows)
			if err == nil {
				out = append(out, p)
			}
			return err
		})
		if r.Claim > 0 {
			// A claim lost with the connection only delays a poll.
			return uncertain(err)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *getpaid.Payment) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	return out, nil
}
