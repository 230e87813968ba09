package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
)

// deliveryCols are the deliveries columns scanDelivery reads, in order.
const deliveryCols = `id, event_id, payment_id, consumer, state, attempts, next_at, last_status, last_error,
	created_at, updated_at, delivered_at`

// scanDelivery reads one deliveries row.
func scanDelivery(sc scanner) (*getpaid.Delivery, error) {
	var r rawDelivery
	if err := sc.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.delivery(), nil
}

// rawDelivery is a deliveries row as scanned, before its conversions.
type rawDelivery struct {
	d                               getpaid.Delivery
	state                           string
	next, created, upd, deliveredAt int64
}

// dest points the deliveryCols of a row into r.
func (r *rawDelivery) dest() []any {
	return []any{&r.d.ID, &r.d.EventID, &r.d.PaymentID, &r.d.Consumer, &r.state, &r.d.Attempts, &r.next,
		&r.d.LastStatus, &r.d.LastError, &r.created, &r.upd, &r.deliveredAt}
}

// delivery converts the scanned row.
func (r *rawDelivery) delivery() *getpaid.Delivery {
	d := r.d
	d.State = getpaid.DeliveryState(r.state)
	d.NextAt, d.CreatedAt, d.UpdatedAt, d.DeliveredAt = fromNanos(r.next), fromNanos(r.created), fromNanos(r.upd), fromNanosOrZero(r.deliveredAt)
	return &d
}

// insertDelivery writes a new pending delivery of an event written in the
// same transaction, whose outbox seq is eventSeq, leased as lease says when
// it is set. behind, when set, is the pending delivery of its payment to its
// consumer written just before it, which holds it back: it is written held
// (apart in deliveries_due) and that one marked blocks, so that it frees it
// when it leaves pending (migration 014).
func (tx *wtx) insertDelivery(d getpaid.Delivery, eventSeq int64, lease *getpaid.DeliveryLease, behind string) error {
	var owner string
	var until int64
	if lease != nil {
		owner, until = lease.Owner, nanos(lease.Until)
	}
	if behind != "" {
		if _, err := tx.execSQL("UPDATE deliveries SET blocks = 1 WHERE id = ? AND state = 'pending'", behind); err != nil {
			return err
		}
	}
	_, err := tx.execSQL(`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at, lease_owner, lease_until, held)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.EventID, eventSeq, d.PaymentID, d.Consumer, string(d.State), nanos(d.NextAt), nanos(d.CreatedAt), nanos(d.UpdatedAt), owner, until,
		behind != "")
	return conflict(err)
}

// heldBack reports whether a pending delivery of payment to consumer is not
// leased to lease's owner (a change's may not be leased), and else the latest
// of them (see getpaid.UpdateResult.PlanLeases); latest is the latest of
// them either way.
func (tx *wtx) heldBack(payment, consumer string, lease *getpaid.DeliveryLease) (held bool, after, latest string, err error) {
	rows, err := tx.query(`SELECT id, lease_owner = ? AND lease_until > ? FROM deliveries INDEXED BY deliveries_order
		WHERE state = 'pending' AND consumer = ? AND payment_id = ? ORDER BY event_seq DESC`,
		lease.Owner, nanos(lease.Now), consumer, payment)
	if err != nil {
		return false, "", "", err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var mine bool
		if err := rows.Scan(&id, &mine); err != nil {
			return false, "", "", err
		}
		if latest == "" {
			latest = id
		}
		if !mine {
			return true, "", latest, nil
		}
		if after == "" {
			after = id
		}
	}
	return false, after, latest, rows.Err()
}

// Event implements getpaid.Store.
func (s *Store) Event(ctx context.Context, id string) (*getpaid.Event, error) {
	ev, err := scanEvent(s.queryRow(ctx, "SELECT "+eventCols+" FROM outbox WHERE id = ?", id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: event %s: %w", id, readErr(err))
	}
	return &ev, nil
}

// Events implements getpaid.Store.
func (s *Store) Events(ctx context.Context, f getpaid.EventFilter) (*getpaid.EventPage, error) {
	var w where
	w.add("payment_id = ?", f.PaymentID)
	page := &getpaid.EventPage{}
	next, err := s.pageQuery(ctx, "outbox", eventCols, w, f.Limit, f.Cursor, func(sc scanner) error {
		ev, err := scanEvent(sc)
		if err == nil {
			page.Events = append(page.Events, ev)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list events: %w", err)
	}
	page.NextCursor = next
	return page, nil
}

// ClaimDeliveries implements getpaid.Store: finding and leasing are one job
// of the writer, so two handles never lease the same delivery.
func (s *Store) ClaimDeliveries(ctx context.Context, r getpaid.ClaimRequest) ([]getpaid.ClaimedDelivery, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	if len(r.Consumers) == 0 {
		return nil, nil
	}
	now := nanos(r.Now)
	v, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		// Per consumer, the due deliveries in the order they fell due
		// (first attempts: when they were written, so event order), read
		// along deliveries_due (consumer, held = 0, next_at) and stopping at the
		// limit: neither another consumer's backlog (an endpoint that is
		// down piles up deliveries waiting for their retry) nor this
		// consumer's deliveries not yet due are walked. A delivery waits
		// while an earlier one of its payment to its consumer is pending:
		// consumers get a payment's events in order.
		var out []getpaid.ClaimedDelivery
		var seqs []int64
		if err := s.sweepHeld(tx, r); err != nil {
			return nil, err
		}
		for _, c := range r.Consumers {
			limit := -1
			if r.Limit > 0 {
				if limit = r.Limit - len(out); limit <= 0 {
					break
				}
			}
			if room := r.RoomFor(c); room == 0 {
				continue
			} else if room > 0 && (limit < 0 || room < limit) {
				limit = room
			}
			rows, err := tx.query(claimSQL(limit), c, now, now)
			if err != nil {
				return nil, readErr(err)
			}
			for rows.Next() {
				var r rawDelivery
				var seq int64
				ev, err := scanEvent(rows, append([]any{&seq}, r.dest()...)...)
				if err != nil {
					rows.Close()
					return nil, readErr(err)
				}
				out = append(out, getpaid.ClaimedDelivery{Delivery: *r.delivery(), Event: ev})
				seqs = append(seqs, seq)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, readErr(err)
			}
		}
		// Handed out oldest event first, whichever consumer.
		idx := make([]int, len(out))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(seqs[a], seqs[b]) })
		sorted := make([]getpaid.ClaimedDelivery, len(out))
		for i, j := range idx {
			sorted[i] = out[j]
		}
		if len(sorted) == 0 {
			return sorted, nil
		}
		// One statement leases them all (their seqs as a JSON array).
		list := []byte{'['}
		for i, seq := range seqs {
			if i > 0 {
				list = append(list, ',')
			}
			list = strconv.AppendInt(list, seq, 10)
		}
		list = append(list, ']')
		if _, err := tx.execSQL("UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE seq IN (SELECT value FROM json_each(?))",
			r.Owner, nanos(r.Now.Add(r.Lease)), string(list)); err != nil {
			return nil, err
		}
		return sorted, nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim deliveries: %w", err)
	}
	return v.([]getpaid.ClaimedDelivery), nil
}

// heldSweepEvery is how often a claim frees the held deliveries of its
// consumers that no earlier pending one holds back any longer (sweepHeld).
const heldSweepEvery = time.Minute

// sweepHeld frees, at most once every heldSweepEvery per consumer, each held delivery of
// r's consumers that no earlier pending delivery of its payment holds back:
// one whose blocker left pending by a path that did not free it (a getpaid
// older than migration 014 recording results on the same file). The claim
// never reads held deliveries, so without this such a one would wait for
// ever; with it, a minute at most. Its cost grows with the held deliveries
// (read along deliveries_due, consumer and held = 1), once a minute, not
// with every claim.
func (s *Store) sweepHeld(tx *wtx, r getpaid.ClaimRequest) error {
	now := r.Now.UnixNano()
	for _, c := range r.Consumers {
		// Each consumer when its own minute is up: a claim names only
		// the consumers with room (one with 64 in flight, or paused, is
		// left out), so one time for all let a consumer left out of the
		// claim that swept wait another minute, and again.
		if v, ok := s.heldSwept.Load(c); ok {
			if last := v.(int64); now-last < int64(heldSweepEvery) && now >= last {
				continue
			}
		}
		s.heldSwept.Store(c, now)
		if _, err := tx.execSQL(`UPDATE deliveries SET held = 0 WHERE seq IN (SELECT d.seq FROM deliveries d INDEXED BY deliveries_due
			WHERE d.state = 'pending' AND d.held = 1 AND d.consumer = ?
			  AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.state = 'pending' AND e.consumer = d.consumer
			                  AND e.payment_id = d.payment_id AND e.event_seq < d.event_seq))`, c); err != nil {
			return err
		}
	}
	return nil
}

// claimSQL reads one consumer's ($1) deliveries due at $2 and not leased
// then, at most limit (-1: no cap; see ClaimDeliveries).
func claimSQL(limit int) string {
	return `SELECT d.seq, ` + prefixed("d.", deliveryCols) + `, ` + prefixed("o.", eventCols) + `
		FROM deliveries d INDEXED BY deliveries_due JOIN outbox o ON o.id = d.event_id
		WHERE d.state = 'pending' AND d.held = 0 AND d.consumer = ? AND d.next_at <= ? AND d.lease_until <= ?
		  AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.state = 'pending' AND e.consumer = d.consumer
		                  AND e.payment_id = d.payment_id AND e.event_seq < d.event_seq)
		ORDER BY d.next_at, d.seq LIMIT ` + limitSQL(limit)
}

// prefixed qualifies every column of a column list with p.
func prefixed(p, cols string) string {
	fields := strings.Split(cols, ",")
	for i, f := range fields {
		fields[i] = p + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// FinishDeliveries implements getpaid.Store.
func (s *Store) FinishDeliveries(ctx context.Context, results []getpaid.DeliveryResult) error {
	if err := getpaid.CheckResults(results); err != nil {
		return err
	}
	if len(results) == 0 {
		return nil
	}
	_, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		t := now()
		for _, r := range results {
			if r.Release {
				if _, err := tx.execSQL(`UPDATE deliveries SET lease_owner = '', lease_until = 0
					WHERE id = ? AND lease_owner = ? AND state = 'pending'`, r.ID, r.Owner); err != nil {
					return nil, err
				}
				continue
			}
			// r.Record decides the delivery's new state. What it sets
			// depends on the result alone, but for one attempt more, and
			// it sets the next attempt's time only when the delivery stays
			// pending and the delivery time only when it is delivered:
			// applied to a blank delivery, it says what to write over the
			// stored one, in one statement that finds it only while still
			// leased to r.Owner.
			d := &getpaid.Delivery{State: getpaid.DeliveryPending}
			r.Record(d, t)
			a := r.Attempt
			if d.State == getpaid.DeliveryDelivered && a.Error == "" {
				// Delivered at its first attempt, the common case: the
				// attempt stays on the row (solo_duration; see migration
				// 011), and nothing goes to delivery_attempts. Not the
				// first: written below as any other.
				n, err := tx.ended(`UPDATE deliveries SET state = 'delivered', attempts = 1, lease_owner = '', lease_until = 0,
					delivered_at = ?, solo_duration = ?, last_status = ?, last_error = '', updated_at = ?
					WHERE id = ? AND lease_owner = ? AND state = 'pending' AND attempts = 0`, true,
					nanosOrZero(d.DeliveredAt), int64(a.Duration), a.Status, nanos(d.UpdatedAt), r.ID, r.Owner)
				if err != nil {
					return nil, err
				}
				if n {
					continue
				}
			}
			n, err := tx.ended(`UPDATE deliveries SET state = ?, attempts = attempts + ?, lease_owner = '', lease_until = 0,
				next_at = CASE WHEN ? THEN ? ELSE next_at END, delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END,
				last_status = ?, last_error = ?, updated_at = ?
				WHERE id = ? AND lease_owner = ? AND state = 'pending'`, d.State != getpaid.DeliveryPending,
				string(d.State), d.Attempts, d.State == getpaid.DeliveryPending, nanos(d.NextAt),
				d.State == getpaid.DeliveryDelivered, nanosOrZero(d.DeliveredAt),
				d.LastStatus, d.LastError, nanos(d.UpdatedAt), r.ID, r.Owner)
			if err != nil {
				return nil, err
			}
			if !n {
				continue // the lease went to someone else
			}
			if _, err := tx.execSQL("INSERT INTO delivery_attempts (delivery_id, at, status, error, duration) VALUES (?,?,?,?,?)",
				r.ID, nanos(a.At), a.Status, a.Error, int64(a.Duration)); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: finish deliveries: %w", err)
	}
	return nil
}

// ended runs update, which records a result of one delivery, and reports
// whether it found the delivery. When left says the result takes the
// delivery out of pending and it blocks a held one (migration 014), the
// next pending delivery of its payment to its consumer is no longer held.
func (tx *wtx) ended(update string, left bool, args ...any) (bool, error) {
	var (
		blocks            bool
		consumer, payment string
		eventSeq          int64
	)
	err := tx.queryRow(update+" RETURNING blocks, consumer, payment_id, event_seq", args...).Scan(&blocks, &consumer, &payment, &eventSeq)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err == nil {
		tx.dirty = true // written (exec marks its own)
	}
	if err != nil || !left || !blocks {
		return err == nil, err
	}
	_, err = tx.execSQL(`UPDATE deliveries SET held = 0 WHERE held = 1 AND seq = (SELECT seq FROM deliveries INDEXED BY deliveries_order
		WHERE state = 'pending' AND consumer = ? AND payment_id = ? AND event_seq > ? ORDER BY event_seq LIMIT 1)`, consumer, payment, eventSeq)
	return err == nil, err
}

// Deliveries implements getpaid.Store.
func (s *Store) Deliveries(ctx context.Context, f getpaid.DeliveryFilter) (*getpaid.DeliveryPage, error) {
	page := &getpaid.DeliveryPage{}
	next, err := s.pageQuery(ctx, "deliveries", deliveryCols, deliveryWhere(f), f.Limit, f.Cursor, func(sc scanner) error {
		d, err := scanDelivery(sc)
		if err == nil {
			page.Deliveries = append(page.Deliveries, d)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
	}
	page.NextCursor = next
	return page, nil
}

// deliveryWhere selects the deliveries f asks for.
func deliveryWhere(f getpaid.DeliveryFilter) where {
	var w where
	w.event(f.EventID)
	w.add("payment_id = ?", f.PaymentID)
	w.add("consumer = ?", f.Consumer)
	if f.EventID != "" || f.PaymentID != "" {
		// An event has a delivery per consumer, a payment a few per
		// change: its range of ids, or deliveries_payment, is the read,
		// the state a filter on it (written so that SQLite does not read
		// along the state index, through every payment's, instead).
		w.add("+state = ?", string(f.State))
	} else {
		w.deliveryState(f.State)
	}
	return w
}

// event narrows w to the deliveries of event id (none: no narrowing). A
// delivery's id begins with its event's and a '|' (getpaid.DeliveryID),
// which no event id holds: the unique index of ids reads them as a range.
func (w *where) event(id string) {
	if id == "" {
		return
	}
	w.conds = append(w.conds, "id >= ? AND id < ?", "event_id = ?")
	w.args = append(w.args, id+"|", id+"}", id)
}

// deliveryState narrows w to the deliveries in state st (none: no
// narrowing). Those not delivered are read along deliveries_state, which
// holds them only: SQLite takes a partial index only for a query that
// names its condition, so that is added too.
func (w *where) deliveryState(st getpaid.DeliveryState) {
	switch st {
	case "":
	case getpaid.DeliveryDelivered:
		w.add("state = ?", string(st))
	default:
		w.conds = append(w.conds, "state = ?", "state <> 'delivered'")
		w.args = append(w.args, string(st))
	}
}

// Attempts implements getpaid.Store.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]getpaid.Attempt, error) {
	var one int
	if err := s.queryRow(ctx, "SELECT 1 FROM deliveries WHERE id = ?", deliveryID).Scan(&one); err != nil {
		return nil, fmt.Errorf("sqlite: delivery %s: %w", deliveryID, readErr(err))
	}
	// A delivery delivered at its first attempt keeps that attempt on its
	// row (solo_duration set), the last of its attempts; the others are in
	// delivery_attempts. One statement reads both, from one snapshot: a
	// replay between two reads would move the kept attempt into
	// delivery_attempts, and it would be shown twice.
	rows, err := s.query(ctx, `SELECT at, status, error, duration, 0, rowid FROM delivery_attempts WHERE delivery_id = ?1
		UNION ALL SELECT delivered_at, last_status, '', solo_duration, 1, 0 FROM deliveries WHERE id = ?1 AND solo_duration IS NOT NULL
		ORDER BY 5, 1, 6`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: attempts of %s: %w", deliveryID, readErr(err))
	}
	defer rows.Close()
	var out []getpaid.Attempt
	for rows.Next() {
		var (
			a                 getpaid.Attempt
			at, dur, kept, id int64
		)
		if err := rows.Scan(&at, &a.Status, &a.Error, &dur, &kept, &id); err != nil {
			return nil, fmt.Errorf("sqlite: attempts of %s: %w", deliveryID, readErr(err))
		}
		a.At, a.Duration = fromNanos(at), time.Duration(dur)
		if kept == 1 {
			a.At = fromNanosOrZero(at)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: attempts of %s: %w", deliveryID, readErr(err))
	}
	return out, nil
}

// ReplayDeliveries implements getpaid.Store.
func (s *Store) ReplayDeliveries(ctx context.Context, r getpaid.ReplayRequest) (int, error) {
	if r.EventID == "" && !r.DeadOnly && !r.Waiting {
		return 0, nil
	}
	at := nanos(r.Now)
	var w where
	// A delivery pending again is not held, and may stand before one that
	// is: it frees the next when it leaves pending (migration 014).
	set := "state = 'pending', next_at = ?, attempts = 0, lease_owner = '', lease_until = 0, held = 0, blocks = 1"
	switch {
	case r.Waiting:
		// Waiting for a retry and not in flight (see
		// getpaid.ReplayRequest): due now, its attempts kept.
		set = "next_at = ?"
		w.conds = append(w.conds, "state = 'pending'", "next_at > ?", "lease_until <= ?")
		w.args = append(w.args, at, at)
	case r.DeadOnly:
		w = deliveryWhere(getpaid.DeliveryFilter{EventID: r.EventID, State: getpaid.DeliveryDead})
	default:
		w.conds = append(w.conds, "state <> 'pending'")
		w.event(r.EventID)
	}
	w.add("consumer = ?", r.Consumer)
	cond := strings.Join(w.conds, " AND ")
	// Only a replay that may start delivered deliveries again meets an
	// attempt kept on a delivery's row (see FinishDeliveries): it goes to
	// delivery_attempts before the delivery starts again.
	delivered := !r.Waiting && !r.DeadOnly
	v, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		if delivered {
			if _, err := tx.execSQL(`INSERT INTO delivery_attempts (delivery_id, at, status, error, duration)
				SELECT id, delivered_at, last_status, '', solo_duration FROM deliveries WHERE solo_duration IS NOT NULL AND `+cond,
				w.args...); err != nil {
				return nil, err
			}
		}
		res, err := tx.execSQL(`UPDATE deliveries SET `+set+`, solo_duration = NULL, updated_at = ? WHERE `+cond,
			append([]any{at, nanos(now())}, w.args...)...)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: replay deliveries: %w", err)
	}
	return v.(int), nil
}

// DiscardDeliveries implements getpaid.DeliveryDiscarder: one UPDATE on the
// consumer's pending and dead deliveries, lease dropped.
func (s *Store) DiscardDeliveries(ctx context.Context, r getpaid.DiscardRequest) (int, error) {
	v, err := s.w.do(ctx, func(tx *wtx) (any, error) {
		res, err := tx.execSQL(`UPDATE deliveries SET state = 'discarded', last_error = ?, lease_owner = '', lease_until = 0, updated_at = ?
			WHERE consumer = ? AND state IN ('pending', 'dead') AND state <> 'delivered'`, r.Reason, nanos(now()), r.Consumer)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: discard deliveries: %w", err)
	}
	return v.(int), nil
}

// backfillWindow is how many outbox seqs one BackfillDeliveries job covers:
// a short write of the writer each, the outbox read along its key.
const backfillWindow = 2000

var _ getpaid.DeliveryBackfiller = (*Store)(nil)

// BackfillDeliveries implements getpaid.DeliveryBackfiller: one INSERT ...
// SELECT per window of the outbox, each a job of the writer of its own.
func (s *Store) BackfillDeliveries(ctx context.Context, r getpaid.BackfillRequest) (int, error) {
	var last int64
	if err := s.queryRow(ctx, "SELECT coalesce(max(seq), 0) FROM outbox").Scan(&last); err != nil {
		return 0, fmt.Errorf("sqlite: backfill deliveries: %w", readErr(err))
	}
	types := ""
	if len(r.Types) > 0 {
		b, err := json.Marshal(r.Types)
		if err != nil {
			return 0, fmt.Errorf("sqlite: backfill deliveries: %w", err)
		}
		types = string(b)
	}
	at, since := nanos(r.Now), nanos(r.Since)
	n := 0
	for lo := int64(0); lo < last; lo += backfillWindow {
		v, err := s.w.do(ctx, func(tx *wtx) (any, error) {
			// Not held, and may stand before one that is: each frees
			// the next when it leaves pending (migration 014).
			res, err := tx.execSQL(`INSERT INTO deliveries (id, event_id, event_seq, payment_id, consumer, state, next_at, created_at, updated_at, blocks)
				SELECT o.id || '|' || ?1, o.id, o.seq, o.payment_id, ?1, 'pending', ?2, ?2, ?2, 1 FROM outbox o
				WHERE o.seq > ?3 AND o.seq <= ?4 AND o.at >= ?5
				  AND (?6 = '' OR o.type IN (SELECT value FROM json_each(?6)))
				  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = o.id || '|' || ?1)
				ORDER BY o.seq`, r.Consumer, at, lo, lo+backfillWindow, since, types)
			if err != nil {
				return nil, err
			}
			m, err := res.RowsAffected()
			return int(m), err
		})
		if err != nil {
			return n, fmt.Errorf("sqlite: backfill deliveries: %w", err)
		}
		n += v.(int)
	}
	return n, nil
}
