package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Event implements getpaid.Store.
func (s *Store) Event(ctx context.Context, id string) (*getpaid.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.events[id]
	if !ok {
		return nil, fmt.Errorf("memory: event %s: %w", id, getpaid.ErrNotFound)
	}
	ev := s.outbox[i]
	return &ev, nil
}

// Events implements getpaid.Store. The cursor is the outbox index of the
// last event of the previous page.
func (s *Store) Events(ctx context.Context, f getpaid.EventFilter) (*getpaid.EventPage, error) {
	limit, err := getpaid.PaymentFilter{Limit: f.Limit}.PageLimit()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	end, err := cursor(f.Cursor, len(s.outbox))
	if err != nil {
		return nil, err
	}
	page := &getpaid.EventPage{}
	for i := end - 1; i >= 0; i-- {
		ev := s.outbox[i]
		if f.PaymentID != "" && ev.PaymentID != f.PaymentID {
			continue
		}
		if len(page.Events) == limit {
			page.NextCursor = strconv.Itoa(i + 1)
			break
		}
		page.Events = append(page.Events, ev)
	}
	return page, nil
}

// ClaimDeliveries implements getpaid.Store.
func (s *Store) ClaimDeliveries(ctx context.Context, r getpaid.ClaimRequest) ([]getpaid.ClaimedDelivery, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []getpaid.ClaimedDelivery
	blocked := map[[2]string]bool{} // (consumer, payment) with an earlier pending delivery
	taken := map[string]int{}       // consumer -> claimed now
	for _, id := range s.sortedDeliveries() {
		d := s.dels[id]
		if d.State != getpaid.DeliveryPending || !slices.Contains(r.Consumers, d.Consumer) {
			continue
		}
		k := [2]string{d.Consumer, d.PaymentID}
		first := !blocked[k]
		blocked[k] = true
		if !first || d.NextAt.After(r.Now) || d.leaseUntil.After(r.Now) {
			continue
		}
		if r.Limit > 0 && len(out) == r.Limit {
			break
		}
		if room := r.RoomFor(d.Consumer); room >= 0 && taken[d.Consumer] >= room {
			continue
		}
		taken[d.Consumer]++
		d.owner, d.leaseUntil = r.Owner, r.Now.Add(r.Lease)
		out = append(out, getpaid.ClaimedDelivery{Delivery: d.Delivery, Event: s.outbox[d.seq]})
	}
	return out, nil
}

// sortedDeliveries lists delivery ids by their event's place in the outbox.
func (s *Store) sortedDeliveries() []string {
	ids := slices.Clone(s.delOrder)
	slices.SortStableFunc(ids, func(a, b string) int { return s.dels[a].seq - s.dels[b].seq })
	return ids
}

// FinishDeliveries implements getpaid.Store.
func (s *Store) FinishDeliveries(ctx context.Context, results []getpaid.DeliveryResult) error {
	if err := getpaid.CheckResults(results); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	for _, r := range results {
		d, ok := s.dels[r.ID]
		if !ok || d.owner != r.Owner || d.State != getpaid.DeliveryPending {
			continue
		}
		if r.Release {
			d.owner, d.leaseUntil = "", time.Time{}
			continue
		}
		r.Record(&d.Delivery, now)
		d.attempts = append(d.attempts, r.Attempt)
		// The lease ends now, whatever the clocks say: the store's own
		// "now" is after the engine's when the engine's clock is behind
		// (Config.Now), and claims compare leases with the engine's.
		d.owner, d.leaseUntil = "", time.Time{}
	}
	return nil
}

// Deliveries implements getpaid.Store.
func (s *Store) Deliveries(ctx context.Context, f getpaid.DeliveryFilter) (*getpaid.DeliveryPage, error) {
	limit, err := getpaid.PaymentFilter{Limit: f.Limit}.PageLimit()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	end, err := cursor(f.Cursor, len(s.delOrder))
	if err != nil {
		return nil, err
	}
	page := &getpaid.DeliveryPage{}
	for i := end - 1; i >= 0; i-- {
		d := s.dels[s.delOrder[i]]
		if !f.Matches(&d.Delivery) {
			continue
		}
		if len(page.Deliveries) == limit {
			page.NextCursor = strconv.Itoa(i + 1)
			break
		}
		c := d.Delivery
		page.Deliveries = append(page.Deliveries, &c)
	}
	return page, nil
}

// Attempts implements getpaid.Store.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]getpaid.Attempt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dels[deliveryID]
	if !ok {
		return nil, fmt.Errorf("memory: delivery %s: %w", deliveryID, getpaid.ErrNotFound)
	}
	return slices.Clone(d.attempts), nil
}

// ReplayDeliveries implements getpaid.Store.
func (s *Store) ReplayDeliveries(ctx context.Context, r getpaid.ReplayRequest) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, id := range s.delOrder {
		d := s.dels[id]
		if !r.Names(&d.Delivery) {
			continue
		}
		if r.Waiting {
			if d.leaseUntil.After(r.Now) {
				continue // in flight
			}
			d.NextAt, d.UpdatedAt = r.Now, s.now().UTC()
			n++
			continue
		}
		d.State, d.NextAt, d.Attempts, d.UpdatedAt = getpaid.DeliveryPending, r.Now, 0, s.now().UTC()
		d.owner, d.leaseUntil = "", r.Now.Add(-1)
		n++
	}
	return n, nil
}

// DiscardDeliveries implements getpaid.DeliveryDiscarder.
func (s *Store) DiscardDeliveries(ctx context.Context, r getpaid.DiscardRequest) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, id := range s.delOrder {
		d := s.dels[id]
		if !r.Names(&d.Delivery) {
			continue
		}
		d.State, d.LastError, d.UpdatedAt = getpaid.DeliveryDiscarded, r.Reason, s.now().UTC()
		d.owner, d.leaseUntil = "", r.Now.Add(-1)
		n++
	}
	return n, nil
}

var _ getpaid.DeliveryBackfiller = (*Store)(nil)

// BackfillDeliveries implements getpaid.DeliveryBackfiller.
func (s *Store) BackfillDeliveries(ctx context.Context, r getpaid.BackfillRequest) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, at := 0, r.Now.UTC()
	for i := range s.outbox {
		ev := &s.outbox[i]
		id := getpaid.DeliveryID(ev.ID, r.Consumer)
		if _, ok := s.dels[id]; ok || !r.Names(ev) {
			continue
		}
		s.dels[id] = &delivery{Delivery: getpaid.Delivery{ID: id, EventID: ev.ID, PaymentID: ev.PaymentID, Consumer: r.Consumer,
			State: getpaid.DeliveryPending, NextAt: at, CreatedAt: at, UpdatedAt: at}, seq: i}
		s.delOrder = append(s.delOrder, id)
		n++
	}
	return n, nil
}
