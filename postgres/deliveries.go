package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/getpaid-go/getpaid"
)

// deliveryCols are the deliveries columns scanDelivery reads, in order.
const deliveryCols = `id, event_id, payment_id, consumer, state, attempts, next_at, last_status, last_error,
	created_at, updated_at, delivered_at`

// The delivery statements.
const (
	// A delivery is written with its event, in the same transaction: its
	// event's seq is there to copy.
	sqlInsertDelivery = `INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at,
		lease_owner, lease_until)
		VALUES ($1, $2, (SELECT seq FROM outbox WHERE id = $2), $3, $4, $5, $6, $7, $8, $9, COALESCE($10::timestamptz, '-infinity'))`
	// sqlEarlierDeliveries reads a payment's pending deliveries, latest
	// first, and whether each is leased to $2 until after $3 (see
	// getpaid.UpdateResult.PlanLeases). It and sqlLockDeliveries find
	// their rows by the payment or the ids: "(state = 'pending') IS TRUE"
	// keeps every index on state from serving them, which a plan made on
	// statistics taken before a backlog (almost nothing pending then)
	// chose, reading the whole backlog for each change (see sqlClaim).
	sqlEarlierDeliveries = `SELECT consumer, id, lease_owner = $2 AND lease_until > $3 FROM deliveries
		WHERE payment_id = $1 AND (state = 'pending') IS TRUE ORDER BY event_seq DESC`
	sqlEvent = "SELECT " + eventCols + " FROM outbox WHERE id = $1"
	// One statement tells "no attempts" (a row of NULLs) from "no delivery"
	// (no row).
	sqlAttempts = `SELECT a.at, a.status, a.error, a.duration FROM deliveries d
		LEFT JOIN delivery_attempts a ON a.delivery_id = d.id WHERE d.id = $1 ORDER BY a.at, a.seq`
	// The deliveries to finish, locked in one order in every process.
	sqlLockDeliveries = "SELECT lease_owner, " + deliveryCols + ` FROM deliveries
		WHERE id = ANY($1) AND (state = 'pending') IS TRUE ORDER BY id FOR UPDATE`
	sqlFinishDelivery = `UPDATE deliveries SET state = $2, attempts = $3, next_at = $4, lease_owner = '', lease_until = '-infinity',
		last_status = $5, last_error = $6, updated_at = $7, delivered_at = $8 WHERE id = $1`
	sqlReleaseDelivery = "UPDATE deliveries SET lease_owner = '', lease_until = '-infinity' WHERE id = $1"
	// sqlFreeNext frees the first pending delivery of a payment ($1) to a
	// consumer ($2) if it is held: run after a result takes one out of
	// pending, in its transaction (which sees it gone), it lets the next
	// one be claimed at once.
	sqlFreeNext = `UPDATE deliveries SET held = false WHERE held AND id = (SELECT id FROM deliveries
		WHERE payment_id = $1 AND consumer = $2 AND (state = 'pending') IS TRUE ORDER BY event_seq LIMIT 1)`
	// sqlSweepHeld marks held the consumers' ($1) pending deliveries, not
	// leased at $2, that wait behind an earlier pending one of their payment
	// and consumer, and frees those held that no longer do. It reads every
	// pending delivery of the consumers, so it runs at most once a minute per
	// consumer (see Store.sweepDue), and it changes at most sweepBatch ($3)
	// of them: the first sweep of a long outage's backlog (after migration
	// 009, or a replay of many dead ones) is spread over claims, each
	// within the dispatcher's deadline, not one that never ends in time and
	// is tried again by every claim. Rows another transaction holds are
	// skipped, never waited for, and the next sweep sees them; a result
	// freeing the next delivery of a payment may wait for a row the sweep
	// holds, as long as the sweep runs (sweepTimeout at most). A delivery
	// held while the one before it left pending (a result committed during
	// the sweep, or recorded by a getpaid older than migration 009) waits
	// for its consumer's next sweep.
	sqlSweepHeld = `UPDATE deliveries u SET held = s.blocked FROM (
		SELECT d.id, b.blocked FROM deliveries d,
		LATERAL (SELECT EXISTS (SELECT 1 FROM deliveries e WHERE e.payment_id = d.payment_id AND e.consumer = d.consumer
			AND e.event_seq < d.event_seq AND (e.state = 'pending') IS TRUE) AS blocked) b
		WHERE d.state = 'pending' AND d.consumer = ANY($1) AND d.lease_until <= $2 AND d.held <> b.blocked
		LIMIT $3 FOR UPDATE OF d SKIP LOCKED) s
	WHERE u.id = s.id RETURNING true`
	sqlInsertAttempt = "INSERT INTO delivery_attempts (delivery_id, at, status, error, duration) VALUES ($1, $2, $3, $4, $5)"
)

// sqlClaim finds the deliveries due now for some consumers, oldest event
// first, and leases them in one statement. A delivery waits while an
// earlier one of its payment to its consumer is pending (leased or not):
// consumers get a payment's events in the order of its changes. Rows another
// transaction holds (another process's claim or finish) are skipped, not
// waited for (FOR UPDATE SKIP LOCKED), so no two callers lease one delivery;
// a row claimed and committed meanwhile fails the lease condition when
// PostgreSQL checks it again on locking it. Each consumer's are picked on
// their own, in the order they fell due along deliveries_ready (consumer,
// next_at, event_seq; not held), at most its room ($6, beside its name in
// $1; NULL: no cap); of those, the oldest events. Held deliveries (see
// sqlSweepHeld) are not read: an endpoint's outage does not make each claim
// longer.
//
// The check for an earlier pending delivery looks up the payment's own
// deliveries (deliveries_payment): "(e.state = 'pending') IS TRUE" is
// written so that no index on state can serve it. Written plainly, a
// backlog that grew after PostgreSQL last analysed the table (an endpoint
// down; the statistics say almost nothing is pending) was planned as a
// scan of every pending delivery of the consumer, by state or by
// deliveries_order on the consumer alone, for each delivery considered:
// quadratic, and claims of a few thousand pending took longer than the
// dispatcher waits, so none went out until autovacuum analysed again.
const sqlClaim = `WITH picked AS (
		SELECT p.id AS picked_id FROM unnest($1::text[], $6::int[]) AS c(consumer, room),
		LATERAL (SELECT d.id, d.event_seq FROM deliveries d
			WHERE d.state = 'pending' AND NOT d.held AND d.consumer = c.consumer AND d.next_at <= $2 AND d.lease_until <= $2
			  AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.payment_id = d.payment_id AND e.consumer = d.consumer
			                  AND e.event_seq < d.event_seq AND (e.state = 'pending') IS TRUE)
			ORDER BY d.next_at, d.event_seq LIMIT least(c.room, $3::bigint)
			FOR UPDATE OF d SKIP LOCKED) p
		ORDER BY p.event_seq LIMIT $3)
	UPDATE deliveries d SET lease_owner = $4, lease_until = $5 FROM picked, outbox o
	WHERE d.id = picked_id AND o.id = d.event_id
	RETURNING d.event_seq, d.id, d.event_id, d.payment_id, d.consumer, d.state, d.attempts, d.next_at, d.last_status,
		d.last_error, d.created_at, d.updated_at, d.delivered_at, o.id, o.type, o.payment_id, o.order_id, o.backend,
		o.from_status, o.to_status, o.amount, o.currency, o.captured, o.refunded, o.at, o.cause`

// sweepEvery is how often, at most, a process sweeps a consumer's held
// deliveries (sqlSweepHeld); sweepBatch is how many one sweep changes at
// most: one that changed as many is not counted, the next claim goes on.
const (
	sweepEvery   = time.Minute
	sweepBatch   = 1000
	sweepTimeout = 3 * time.Second // of the dispatcher's 10 s claim deadline (Store.sweepFor)
)

// sweepDue returns those of consumers whose held deliveries this process
// last swept sweepEvery or more before now (or never), and counts them swept
// now.
func (s *Store) sweepDue(consumers []string, now time.Time) []string {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	if s.swept == nil {
		s.swept = map[string]time.Time{}
	}
	var due []string
	for _, c := range consumers {
		if last, ok := s.swept[c]; !ok || now.Sub(last) >= sweepEvery || now.Before(last) {
			s.swept[c] = now
			due = append(due, c)
		}
	}
	return due
}

// sweep runs sqlSweepHeld for those of consumers due a sweep (sweepDue),
// one consumer at a time, all of them within sweepFor. Held marks only
// spare claims work (the claim keeps its own check of earlier pending
// deliveries), so a sweep never fails the claim it runs before: one that
// fails, or runs out of its time (a statement_timeout: PostgreSQL stops
// it, nothing half done is kept), leaves the claim to read that consumer's
// unmarked deliveries as before migration 009, and is tried again at the
// consumer's next minute. Before, a sweep failing on a backlog too long
// for its deadline failed every claim: no webhook left. One consumer's
// backlog too long to sweep in time does not keep the others' from being
// swept (a held delivery freed by nothing else, its blocker finished by a
// getpaid older than 009 or while a sweep ran, waits for its consumer's
// own sweep only): those not reached within sweepFor, and one that
// changed sweepBatch rows, are swept by the next claim.
func (s *Store) sweep(ctx context.Context, consumers []string, now time.Time) {
	due := s.sweepDue(consumers, now)
	if len(due) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	until := time.Now().Add(s.sweepFor)
	for i, consumer := range due {
		left := time.Until(until)
		if left <= 0 || ctx.Err() != nil {
			s.sweepAgain(due[i:]) // not reached: the next claim sweeps them
			return
		}
		if changed, err := s.sweepOne(ctx, consumer, now, left); err == nil && changed >= sweepBatch {
			s.sweepAgain([]string{consumer}) // more to change: the next claim sweeps it again
		}
	}
}

// sweepOne runs sqlSweepHeld for one consumer, for at most left, and
// returns how many rows it changed. One try (s.attempt, not s.do): the
// store retries a statement_timeout (57014) as it does a cancelled query,
// and three sweeps took 9 s of the claim's 10 s.
func (s *Store) sweepOne(ctx context.Context, consumer string, now time.Time, left time.Duration) (int, error) {
	changed := 0
	err := s.attempt(ctx, func(ctx context.Context, c *pgx.Conn) error {
		changed = 0
		return readCommittedWithin(ctx, c, left, sqlSweepHeld, []any{[]string{consumer}, floorMicro(now), sweepBatch}, func(pgx.Rows) error {
			changed++
			return nil
		})
	})
	return changed, err
}

// sweepAgain has the next claim sweep consumers again: the sweep left more
// to change.
func (s *Store) sweepAgain(consumers []string) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	for _, c := range consumers {
		delete(s.swept, c)
	}
}

// scanDelivery reads one deliveries row of deliveryCols (after any leading
// columns scanned into lead).
func scanDelivery(row pgx.Row, lead ...any) (*getpaid.Delivery, error) {
	var r rawDelivery
	if err := row.Scan(append(lead, r.dest()...)...); err != nil {
		return nil, err
	}
	return r.delivery(), nil
}

// rawDelivery is a deliveries row as scanned, before its conversions.
type rawDelivery struct {
	d           getpaid.Delivery
	state       string
	deliveredAt *time.Time
}

// dest points the deliveryCols of a row into r.
func (r *rawDelivery) dest() []any {
	return []any{&r.d.ID, &r.d.EventID, &r.d.PaymentID, &r.d.Consumer, &r.state, &r.d.Attempts, &r.d.NextAt,
		&r.d.LastStatus, &r.d.LastError, &r.d.CreatedAt, &r.d.UpdatedAt, &r.deliveredAt}
}

// delivery converts the scanned row.
func (r *rawDelivery) delivery() *getpaid.Delivery {
	d := r.d
	d.State = getpaid.DeliveryState(r.state)
	d.NextAt, d.CreatedAt, d.UpdatedAt = d.NextAt.UTC(), d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	if r.deliveredAt != nil {
		d.DeliveredAt = r.deliveredAt.UTC()
	}
	return &d
}

// nullTime is t for a nullable column: NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Event implements getpaid.Store.
func (s *Store) Event(ctx context.Context, id string) (*getpaid.Event, error) {
	if err := notFound("event "+id, id); err != nil {
		return nil, err
	}
	var ev getpaid.Event
	err := s.do(ctx, "event "+id, func(ctx context.Context, c *pgx.Conn) error {
		var err error
		ev, err = scanEvent(c.QueryRow(ctx, sqlEvent, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return getpaid.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ev, nil
}

// Events implements getpaid.Store: newest first by outbox order (seq). The
// cursor is the seq of the last event of the previous page.
func (s *Store) Events(ctx context.Context, f getpaid.EventFilter) (*getpaid.EventPage, error) {
	var w where
	w.add("payment_id =", f.PaymentID)
	page := &getpaid.EventPage{}
	next, err := s.page(ctx, "list events", "outbox", eventCols, w, f.Limit, f.Cursor,
		func() { page.Events = nil },
		func(rows pgx.Rows, seq *int64) error {
			ev, err := scanEvent(rows, seq)
			if err == nil {
				page.Events = append(page.Events, ev)
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	page.NextCursor = next
	return page, nil
}

// ClaimDeliveries implements getpaid.Store: finding and leasing are one
// statement (see sqlClaim).
func (s *Store) ClaimDeliveries(ctx context.Context, r getpaid.ClaimRequest) ([]getpaid.ClaimedDelivery, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	if len(r.Consumers) == 0 {
		return nil, nil
	}
	var limit *int
	if r.Limit > 0 {
		limit = &r.Limit
	}
	// Each consumer's cap (NULL: none), beside its name.
	rooms := make([]*int32, len(r.Consumers))
	for i, c := range r.Consumers {
		if n := r.RoomFor(c); n >= 0 {
			n32 := int32(min(n, math.MaxInt32))
			rooms[i] = &n32
		}
	}
	type claimed struct {
		seq int64
		c   getpaid.ClaimedDelivery
	}
	var out []claimed
	s.sweep(ctx, r.Consumers, r.Now)
	err := s.do(ctx, "claim deliveries", func(ctx context.Context, c *pgx.Conn) error {
		out = out[:0]
		// A delivery is due when its time is at or before Now (stored
		// times are whole microseconds).
		args := []any{r.Consumers, floorMicro(r.Now), limit, r.Owner, r.Now.Add(r.Lease), rooms}
		err := readCommitted(ctx, c, sqlClaim, args, func(rows pgx.Rows) error {
			var (
				cl  claimed
				raw rawDelivery
			)
			ev, err := scanEvent(rows, append([]any{&cl.seq}, raw.dest()...)...)
			if err != nil {
				return err
			}
			cl.c = getpaid.ClaimedDelivery{Delivery: *raw.delivery(), Event: ev}
			out = append(out, cl)
			return nil
		})
		// Leases lost with the connection only delay those deliveries.
		return uncertain(err)
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b claimed) int { return cmp.Compare(a.seq, b.seq) })
	res := make([]getpaid.ClaimedDelivery, len(out))
	for i, cl := range out {
		res[i] = cl.c
	}
	return res, nil
}

// FinishDeliveries implements getpaid.Store in one transaction of two round
// trips: the first locks the pending deliveries named (in id order, the same
// in every process); the second records, with getpaid.DeliveryResult.Record,
// the results of those whose lease the result's owner still holds, their
// attempts, and commits.
func (s *Store) FinishDeliveries(ctx context.Context, results []getpaid.DeliveryResult) error {
	if err := getpaid.CheckResults(results); err != nil {
		return err
	}
	if len(results) == 0 {
		return nil
	}
	ids := make([]string, len(results))
	for i, r := range results {
		ids[i] = r.ID
	}
	return s.do(ctx, "finish deliveries", func(ctx context.Context, c *pgx.Conn) error {
		t := now()
		b := &pgx.Batch{}
		started := s.begin(b)
		b.Queue(sqlLockDeliveries, ids)
		held := map[string]*getpaid.Delivery{}
		owners := map[string]string{}
		br := c.SendBatch(ctx, b)
		err := func() error {
			defer br.Close()
			for range started {
				if _, err := br.Exec(); err != nil {
					return err
				}
			}
			rows, err := br.Query()
			if err != nil {
				return err
			}
			for rows.Next() {
				var owner string
				d, err := scanDelivery(rows, &owner)
				if err != nil {
					rows.Close()
					return err
				}
				held[d.ID], owners[d.ID] = d, owner
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			return br.Close()
		}()
		if err != nil {
			return err // the caller rolls back
		}
		b = &pgx.Batch{}
		for _, r := range results {
			d := held[r.ID]
			if d == nil || owners[r.ID] != r.Owner {
				continue // not pending, or the lease went to someone else
			}
			delete(held, r.ID) // a second result for it in this batch is stale
			if r.Release {
				b.Queue(sqlReleaseDelivery, d.ID)
				continue
			}
			r.Record(d, t)
			b.Queue(sqlFinishDelivery, d.ID, string(d.State), d.Attempts, d.NextAt, d.LastStatus, d.LastError,
				d.UpdatedAt, nullTime(d.DeliveredAt))
			if d.State != getpaid.DeliveryPending {
				b.Queue(sqlFreeNext, d.PaymentID, d.Consumer)
			}
			a := r.Attempt
			b.Queue(sqlInsertAttempt, d.ID, a.At, a.Status, a.Error, int64(a.Duration))
		}
		b.Queue("COMMIT")
		return commitBatch(ctx, c, b)
	})
}

// Deliveries implements getpaid.Store: newest first by creation order
// (seq). The cursor is the seq of the last delivery of the previous page.
func (s *Store) Deliveries(ctx context.Context, f getpaid.DeliveryFilter) (*getpaid.DeliveryPage, error) {
	var w where
	w.add("event_id =", f.EventID)
	w.add("payment_id =", f.PaymentID)
	w.add("consumer =", f.Consumer)
	w.add("state =", string(f.State))
	page := &getpaid.DeliveryPage{}
	next, err := s.page(ctx, "list deliveries", "deliveries", deliveryCols, w, f.Limit, f.Cursor,
		func() { page.Deliveries = nil },
		func(rows pgx.Rows, seq *int64) error {
			d, err := scanDelivery(rows, seq)
			if err == nil {
				page.Deliveries = append(page.Deliveries, d)
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	page.NextCursor = next
	return page, nil
}

// Attempts implements getpaid.Store.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]getpaid.Attempt, error) {
	if err := notFound("attempts of "+deliveryID, deliveryID); err != nil {
		return nil, err
	}
	var out []getpaid.Attempt
	err := s.do(ctx, "attempts of "+deliveryID, func(ctx context.Context, c *pgx.Conn) error {
		out = nil
		rows, err := c.Query(ctx, sqlAttempts, deliveryID)
		if err != nil {
			return err
		}
		defer rows.Close()
		found := false
		for rows.Next() {
			found = true
			var (
				at       *time.Time
				status   *int
				msg      *string
				duration *int64
			)
			if err := rows.Scan(&at, &status, &msg, &duration); err != nil {
				return err
			}
			if at == nil {
				continue // no attempt yet
			}
			out = append(out, getpaid.Attempt{At: at.UTC(), Status: *status, Error: *msg, Duration: time.Duration(*duration)})
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

// ReplayDeliveries implements getpaid.Store.
func (s *Store) ReplayDeliveries(ctx context.Context, r getpaid.ReplayRequest) (int, error) {
	if r.EventID == "" && !r.DeadOnly && !r.Waiting {
		return 0, nil
	}
	// $1 and $2 are the SET's.
	w := where{conds: []string{"state <> 'pending'"}, args: []any{r.Now, now()}}
	// A delivery discarded while held comes back free: the claim's own
	// check keeps it behind any earlier pending one.
	q := `UPDATE deliveries SET state = 'pending', next_at = $1, attempts = 0, lease_owner = '', lease_until = '-infinity',
		held = false, updated_at = $2 WHERE `
	switch {
	case r.Waiting:
		// Waiting for a retry and not in flight (see
		// getpaid.ReplayRequest): due now, its attempts kept.
		w.conds = []string{"state = 'pending'", "next_at > $1", "lease_until <= $1"}
		q = `UPDATE deliveries SET next_at = $1, updated_at = $2 WHERE `
	case r.DeadOnly:
		w.conds = append(w.conds, "state = 'dead'")
		w.add("event_id =", r.EventID)
	default:
		w.add("event_id =", r.EventID)
	}
	w.add("consumer =", r.Consumer)
	if w.none {
		return 0, nil
	}
	q += strings.Join(w.conds, " AND ")
	var n int64
	err := s.do(ctx, "replay deliveries", func(ctx context.Context, c *pgx.Conn) error {
		tag, err := c.Exec(ctx, q, w.args...)
		n = tag.RowsAffected()
		return uncertain(err)
	})
	return int(n), err
}

// DiscardDeliveries implements getpaid.DeliveryDiscarder: one UPDATE on the
// consumer's pending and dead deliveries, lease dropped.
func (s *Store) DiscardDeliveries(ctx context.Context, r getpaid.DiscardRequest) (int, error) {
	if !isText(r.Consumer) {
		return 0, nil // no consumer of that name can have deliveries
	}
	var n int64
	err := s.do(ctx, "discard deliveries", func(ctx context.Context, c *pgx.Conn) error {
		tag, err := c.Exec(ctx, `UPDATE deliveries SET state = 'discarded', last_error = $1, lease_owner = '', lease_until = '-infinity',
			updated_at = $2 WHERE consumer = $3 AND state IN ('pending', 'dead')`, r.Reason, now(), r.Consumer)
		n = tag.RowsAffected()
		return uncertain(err)
	})
	return int(n), err
}

// backfillWindow is how many outbox seqs one BackfillDeliveries statement
// covers: a short transaction each, the outbox read along outbox_seq.
const backfillWindow = 2000

var _ getpaid.DeliveryBackfiller = (*Store)(nil)

// BackfillDeliveries implements getpaid.DeliveryBackfiller: one INSERT ...
// SELECT per window of the outbox, each in a transaction of its own. Two
// running at once write each delivery once (the one that loses a race on
// a delivery's id writes nothing for it).
func (s *Store) BackfillDeliveries(ctx context.Context, r getpaid.BackfillRequest) (int, error) {
	if !isText(r.Consumer) {
		return 0, fmt.Errorf("postgres: backfill deliveries: %w", &getpaid.FieldError{Field: "consumer", Reason: "not text", Err: getpaid.ErrInvalidRequest})
	}
	var last int64
	err := s.do(ctx, "backfill deliveries", func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM outbox").Scan(&last)
	})
	if err != nil {
		return 0, err
	}
	types := make([]string, len(r.Types))
	for i, t := range r.Types {
		types[i] = string(t)
	}
	n := 0
	for lo := int64(0); lo < last; lo += backfillWindow {
		var m int64
		err := s.do(ctx, "backfill deliveries", func(ctx context.Context, c *pgx.Conn) error {
			tag, err := c.Exec(ctx, `INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at)
				SELECT o.id || '|' || $1, o.id, o.seq, o.payment_id, $1, 'pending', $2, $2, $2 FROM outbox o
				WHERE o.seq > $3 AND o.seq <= $4 AND o.at >= $5 AND (cardinality($6::text[]) = 0 OR o.type = ANY($6::text[]))
				ORDER BY o.seq
				ON CONFLICT (id) DO NOTHING`, r.Consumer, r.Now.UTC(), lo, lo+backfillWindow, r.Since.UTC(), types)
			m = tag.RowsAffected()
			return uncertain(err)
		})
		if err != nil {
			return n, err
		}
		n += int(m)
	}
	return n, nil
}
