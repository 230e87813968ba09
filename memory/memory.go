// Package memory is an in-memory getpaid.Store for tests and examples. It keeps
// everything in maps under one mutex; nothing survives the process. It passes
// the same storetest suite as the SQL stores.
package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Store is an in-memory getpaid.Store. The zero value is not usable; call New.
type Store struct {
	mu       sync.Mutex
	now      func() time.Time
	payments map[string]*getpaid.Payment
	order    []string // payment ids in creation order
	history  map[string][]getpaid.Transition
	applied  map[string]bool
	outbox   []getpaid.Event
	done     map[string]bool
}

var (
	_ getpaid.Store       = (*Store)(nil)
	_ getpaid.StaleLister = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{
		now:      time.Now,
		payments: map[string]*getpaid.Payment{},
		history:  map[string][]getpaid.Transition{},
		applied:  map[string]bool{},
		done:     map[string]bool{},
	}
}

// CreatePayment implements getpaid.Store.
func (s *Store) CreatePayment(ctx context.Context, p *getpaid.Payment, opts getpaid.CreateOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.payments[p.ID]; ok {
		return getpaid.ErrConflict
	}
	if p.ExternalID != "" {
		for _, q := range s.payments {
			if q.Backend == p.Backend && q.ExternalID == p.ExternalID {
				return getpaid.ErrConflict
			}
		}
	}
	if opts.OneLivePerOrder {
		for _, q := range s.payments {
			if q.OrderID == p.OrderID && q.Live() {
				return getpaid.ErrLivePaymentExists
			}
		}
	}
	if opts.Then != nil && opts.Then.EventKey != "" && s.applied[opts.Then.EventKey] {
		return getpaid.ErrDuplicateEvent
	}
	now := s.now().UTC()
	p.CreatedAt, p.UpdatedAt, p.Version = now, now, 1
	created := getpaid.NewCreatedEvent(p, now)
	if opts.Then != nil {
		res, err := s.apply(p, *opts.Then, now)
		if err != nil {
			return err
		}
		s.outbox = append(s.outbox, created)
		s.commit(res, *opts.Then, p)
		*p = *res.Payment.Clone()
		s.order = append(s.order, p.ID)
		return nil
	}
	s.payments[p.ID] = p.Clone()
	s.order = append(s.order, p.ID)
	s.outbox = append(s.outbox, created)
	return nil
}

// Payment implements getpaid.Store.
func (s *Store) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return nil, getpaid.ErrNotFound
	}
	return p.Clone(), nil
}

// PaymentByExternalID implements getpaid.Store.
func (s *Store) PaymentByExternalID(ctx context.Context, backend, externalID string) (*getpaid.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if externalID == "" {
		return nil, getpaid.ErrNotFound
	}
	for _, id := range s.order {
		p := s.payments[id]
		if p.Backend == backend && p.ExternalID == externalID {
			return p.Clone(), nil
		}
	}
	return nil, getpaid.ErrNotFound
}

// PaymentsByOrder implements getpaid.Store.
func (s *Store) PaymentsByOrder(ctx context.Context, orderID string) ([]*getpaid.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*getpaid.Payment
	for _, id := range s.order {
		if p := s.payments[id]; p.OrderID == orderID {
			out = append(out, p.Clone())
		}
	}
	return out, nil
}

// History implements getpaid.Store.
func (s *Store) History(ctx context.Context, id string) ([]getpaid.Transition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.payments[id]; !ok {
		return nil, getpaid.ErrNotFound
	}
	return slices.Clone(s.history[id]), nil
}

// UpdatePayment implements getpaid.Store.
func (s *Store) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.EventKey != "" && s.applied[m.EventKey] {
		return nil, getpaid.ErrDuplicateEvent
	}
	cur, ok := s.payments[id]
	if !ok {
		return nil, getpaid.ErrNotFound
	}
	res, err := s.apply(cur, m, s.now().UTC())
	if err != nil {
		return nil, err
	}
	s.commit(res, m, cur)
	return res, nil
}

// apply runs m on a copy of cur; nothing is stored yet.
func (s *Store) apply(cur *getpaid.Payment, m getpaid.Mutation, now time.Time) (*getpaid.UpdateResult, error) {
	p := cur.Clone()
	changed, err := m.Apply(p)
	if err != nil {
		return nil, err
	}
	p.ID, p.CreatedAt = cur.ID, cur.CreatedAt
	res := &getpaid.UpdateResult{Payment: p, Changed: changed}
	if !changed {
		res.Payment = cur.Clone()
		return res, nil
	}
	p.Version, p.UpdatedAt = cur.Version+1, now
	if p.Status != cur.Status {
		res.Events = append(res.Events, getpaid.NewStatusEvent(p, cur.Status, now))
	}
	return res, nil
}

// commit stores what apply computed from cur.
func (s *Store) commit(res *getpaid.UpdateResult, m getpaid.Mutation, cur *getpaid.Payment) {
	p := res.Payment
	if res.Changed && p.Status != cur.Status {
		s.history[p.ID] = append(s.history[p.ID], getpaid.Transition{From: cur.Status, To: p.Status, At: p.UpdatedAt, Cause: m.Cause})
	}
	s.outbox = append(s.outbox, res.Events...)
	s.payments[p.ID] = p.Clone()
	if m.EventKey != "" {
		s.applied[m.EventKey] = true
	}
}

// StalePayments implements getpaid.StaleLister.
func (s *Store) StalePayments(ctx context.Context, updatedBefore, createdAfter time.Time, limit int) ([]*getpaid.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*getpaid.Payment
	for _, id := range s.order {
		p := s.payments[id]
		if (p.Status == getpaid.StatusPrepared || p.Status == getpaid.StatusChargeStarted) &&
			p.UpdatedAt.Before(updatedBefore) && p.CreatedAt.After(createdAfter) {
			out = append(out, p.Clone())
		}
	}
	slices.SortStableFunc(out, func(a, b *getpaid.Payment) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// PendingEvents implements getpaid.Store.
func (s *Store) PendingEvents(ctx context.Context, after string, limit int) ([]getpaid.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []getpaid.Event
	start := 0
	for i, e := range s.outbox {
		if after != "" && e.ID == after {
			start = i + 1
		}
	}
	for _, e := range s.outbox[start:] {
		if !s.done[e.ID] {
			out = append(out, e)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// MarkDelivered implements getpaid.Store.
func (s *Store) MarkDelivered(ctx context.Context, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.done[id] = true
	}
	return nil
}

// Close implements getpaid.Store.
func (s *Store) Close() error { return nil }
