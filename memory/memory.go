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

var _ getpaid.Store = (*Store)(nil)

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

func clone(p *getpaid.Payment) *getpaid.Payment {
	c := *p
	if p.Redirect != nil {
		r := *p.Redirect
		r.Fields = make(map[string]string, len(p.Redirect.Fields))
		for k, v := range p.Redirect.Fields {
			r.Fields[k] = v
		}
		c.Redirect = &r
	}
	return &c
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
	now := s.now().UTC()
	p.CreatedAt, p.UpdatedAt, p.Version = now, now, 1
	s.payments[p.ID] = clone(p)
	s.order = append(s.order, p.ID)
	s.outbox = append(s.outbox, getpaid.NewCreatedEvent(p, now))
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
	return clone(p), nil
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
			return clone(p), nil
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
			out = append(out, clone(p))
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
	p := clone(cur)
	changed, err := m.Apply(p)
	if err != nil {
		return nil, err
	}
	res := &getpaid.UpdateResult{Payment: p, Changed: changed}
	if changed {
		now := s.now().UTC()
		p.Version = cur.Version + 1
		p.UpdatedAt = now
		if p.Status != cur.Status {
			s.history[id] = append(s.history[id], getpaid.Transition{From: cur.Status, To: p.Status, At: now, Cause: m.Cause})
			ev := getpaid.NewStatusEvent(p, cur.Status, now)
			s.outbox = append(s.outbox, ev)
			res.Events = append(res.Events, ev)
		}
		s.payments[id] = clone(p)
	} else {
		res.Payment = clone(cur)
	}
	if m.EventKey != "" {
		s.applied[m.EventKey] = true
	}
	return res, nil
}

// PendingEvents implements getpaid.Store.
func (s *Store) PendingEvents(ctx context.Context, limit int) ([]getpaid.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []getpaid.Event
	for _, e := range s.outbox {
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
