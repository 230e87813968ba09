// Package memory is an in-memory getpaid.Store for tests and examples. It keeps
// everything in maps under one mutex; nothing survives the process. It passes
// the same storetest suite as the SQL stores.
package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Store is an in-memory getpaid.Store. The zero value is an empty store,
// as New's.
type Store struct {
	mu       sync.Mutex
	clock    func() time.Time // nil: time.Now
	payments map[string]*getpaid.Payment
	oneLive  map[string]bool      // payments created under the one-live policy
	claims   map[string]time.Time // stale polling claims: payment id -> until
	order    []string             // payment ids in creation order
	history  map[string][]getpaid.Transition
	applied  map[appliedKey]bool
	outbox   []getpaid.Event
	events   map[string]int // event id -> index in outbox
	ops      map[string]*getpaid.Operation
	opOrder  []string // operation ids in creation order
	dels     map[string]*delivery
	delOrder []string // delivery ids in creation order
}

// delivery is a stored delivery with its lease and attempts.
type delivery struct {
	getpaid.Delivery
	seq        int // its event's place in the outbox
	owner      string
	leaseUntil time.Time
	attempts   []getpaid.Attempt
}

type appliedKey struct{ payment, key string }

var (
	_ getpaid.Store       = (*Store)(nil)
	_ getpaid.StaleLister = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	s := &Store{}
	s.init()
	return s
}

// init makes the maps of a zero Store; a nil map reads as empty, so only
// the paths that first write to them (CreatePayment, write) call it: every
// other write is of a payment, event or delivery those made.
func (s *Store) init() {
	if s.payments != nil {
		return
	}
	s.payments = map[string]*getpaid.Payment{}
	s.oneLive = map[string]bool{}
	s.claims = map[string]time.Time{}
	s.history = map[string][]getpaid.Transition{}
	s.applied = map[appliedKey]bool{}
	s.events = map[string]int{}
	s.ops = map[string]*getpaid.Operation{}
	s.dels = map[string]*delivery{}
}

// now is the store's clock.
func (s *Store) now() time.Time {
	if s.clock == nil {
		return time.Now()
	}
	return s.clock()
}

// CreatePayment implements getpaid.Store.
func (s *Store) CreatePayment(ctx context.Context, p *getpaid.Payment, opts getpaid.CreateOptions) (*getpaid.UpdateResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.payments[p.ID]; ok {
		return nil, fmt.Errorf("memory: payment %s: %w", p.ID, getpaid.ErrConflict)
	}
	res, err := getpaid.PlanCreate(p, opts, s.now())
	if err != nil {
		return nil, err
	}
	q := res.Payment
	if err := s.checkOperation(res); err != nil {
		return nil, err
	}
	for _, id := range s.order {
		o := s.payments[id]
		if q.ExternalID != "" && o.Backend == q.Backend && o.ExternalID == q.ExternalID {
			return nil, fmt.Errorf("memory: external id %s: %w", q.ExternalID, getpaid.ErrConflict)
		}
		if q.CreateKey != "" && o.CreateKey == q.CreateKey {
			return nil, fmt.Errorf("memory: create key %q: %w", q.CreateKey, getpaid.ErrConflict)
		}
		if opts.OneLivePerOrder && s.oneLive[id] && o.OrderID == q.OrderID && o.Live() {
			return nil, fmt.Errorf("memory: order %s: %w", q.OrderID, getpaid.ErrLivePaymentExists)
		}
	}
	s.init()
	s.order = append(s.order, q.ID)
	s.oneLive[q.ID] = opts.OneLivePerOrder && q.Live() // one its first change ended left the rule already
	s.write(res, opts.Then, opts.Lease, true)
	return clone(res), nil
}

// Payment implements getpaid.Store.
func (s *Store) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return nil, fmt.Errorf("memory: payment %s: %w", id, getpaid.ErrNotFound)
	}
	return p.Clone(), nil
}

// PaymentByExternalID implements getpaid.Store.
func (s *Store) PaymentByExternalID(ctx context.Context, backend, externalID string) (*getpaid.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if externalID != "" {
		for _, id := range s.order {
			if p := s.payments[id]; p.Backend == backend && p.ExternalID == externalID {
				return p.Clone(), nil
			}
		}
	}
	return nil, fmt.Errorf("memory: payment %s/%s: %w", backend, externalID, getpaid.ErrNotFound)
}

// Payments implements getpaid.Store. The cursor is the creation index of the
// last payment of the previous page.
func (s *Store) Payments(ctx context.Context, f getpaid.PaymentFilter) (*getpaid.PaymentPage, error) {
	limit, err := f.PageLimit()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	end := len(s.order)
	if f.Cursor != "" {
		n, err := strconv.Atoi(f.Cursor)
		if err != nil || n < 0 || n > len(s.order) {
			return nil, &getpaid.FieldError{Field: "cursor", Reason: "not a cursor of this listing", Err: getpaid.ErrInvalidRequest}
		}
		end = n
	}
	page := &getpaid.PaymentPage{}
	for i := end - 1; i >= 0; i-- {
		p := s.payments[s.order[i]]
		if !f.Matches(p) {
			continue
		}
		if len(page.Payments) == limit {
			page.NextCursor = strconv.Itoa(i + 1)
			break
		}
		page.Payments = append(page.Payments, p.Clone())
	}
	return page, nil
}

// History implements getpaid.Store.
func (s *Store) History(ctx context.Context, id string) ([]getpaid.Transition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.payments[id]; !ok {
		return nil, fmt.Errorf("memory: payment %s: %w", id, getpaid.ErrNotFound)
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
	if m.EventKey != "" && s.applied[appliedKey{id, m.EventKey}] {
		return nil, fmt.Errorf("memory: event %s: %w", m.EventKey, getpaid.ErrDuplicateEvent)
	}
	cur, ok := s.payments[id]
	if !ok {
		return nil, fmt.Errorf("memory: payment %s: %w", id, getpaid.ErrNotFound)
	}
	var op *getpaid.Operation
	if m.Operation != nil && m.Operation.New == nil {
		if op = s.ops[m.Operation.ID]; op == nil || op.PaymentID != id {
			return nil, fmt.Errorf("memory: operation %s: %w", m.Operation.ID, getpaid.ErrNotFound)
		}
	}
	res, err := getpaid.PlanUpdate(cur, op, m, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.checkOperation(res); err != nil {
		return nil, err
	}
	if q := res.Payment; q.ExternalID != "" && q.ExternalID != cur.ExternalID {
		// A broker id learned after creation is unique per backend too,
		// as the SQL stores' index keeps it.
		for _, oid := range s.order {
			if o := s.payments[oid]; oid != id && o.Backend == q.Backend && o.ExternalID == q.ExternalID {
				return nil, fmt.Errorf("memory: external id %s: %w", q.ExternalID, getpaid.ErrConflict)
			}
		}
	}
	if !res.Payment.Live() {
		// Failed or cancelled, it leaves the one-live rule for good: money
		// arriving later is recorded whatever else the order has.
		delete(s.oneLive, id)
	}
	s.write(res, &m, m.Lease, false)
	return clone(res), nil
}

// checkOperation refuses a new operation whose id, or idempotency key on
// its payment, is taken.
func (s *Store) checkOperation(res *getpaid.UpdateResult) error {
	if !res.OperationNew {
		return nil
	}
	op := res.Operation
	if _, ok := s.ops[op.ID]; ok {
		return fmt.Errorf("memory: operation %s: %w", op.ID, getpaid.ErrConflict)
	}
	if op.IdempotencyKey != "" {
		for _, o := range s.ops {
			if o.PaymentID == op.PaymentID && o.IdempotencyKey == op.IdempotencyKey {
				return fmt.Errorf("memory: idempotency key %q of payment %s: %w", op.IdempotencyKey, op.PaymentID, getpaid.ErrConflict)
			}
		}
	}
	return nil
}

// write stores what PlanCreate or PlanUpdate decided, the deliveries leased
// as lease asks (see getpaid.Mutation.Lease); fresh says the payment is new
// (no delivery of its is stored yet).
func (s *Store) write(res *getpaid.UpdateResult, m *getpaid.Mutation, lease *getpaid.DeliveryLease, fresh bool) {
	s.init()
	p := res.Payment
	if res.Changed {
		s.payments[p.ID] = p.Clone()
	}
	if res.Transition != nil {
		s.history[p.ID] = append(s.history[p.ID], *res.Transition)
	}
	for _, ev := range res.Events {
		s.events[ev.ID] = len(s.outbox)
		s.outbox = append(s.outbox, ev)
	}
	var earlier func(string) (bool, string, error)
	if !fresh {
		earlier = func(consumer string) (bool, string, error) {
			held, latest := s.heldBack(p.ID, consumer, lease)
			return held, latest, nil
		}
	}
	leased, _ := res.PlanLeases(lease, earlier) // its events are res's
	for i, d := range res.Deliveries {
		nd := &delivery{Delivery: d, seq: s.events[d.EventID]}
		if leased != nil && leased[i] {
			nd.owner, nd.leaseUntil = lease.Owner, lease.Until
		}
		s.dels[d.ID] = nd
		s.delOrder = append(s.delOrder, d.ID)
	}
	if res.OperationChanged {
		op := *res.Operation
		if res.OperationNew {
			s.opOrder = append(s.opOrder, op.ID)
		}
		s.ops[op.ID] = &op
	}
	if m != nil && m.EventKey != "" {
		s.applied[appliedKey{p.ID, m.EventKey}] = true
	}
	for _, k := range res.Marks {
		if !s.applied[appliedKey{p.ID, k}] {
			res.NewMarks = append(res.NewMarks, k)
		}
		s.applied[appliedKey{p.ID, k}] = true
	}
}

// heldBack reports whether a pending delivery of payment to consumer is not
// leased to lease's owner (a change's may not be leased), and else the latest
// of them (see getpaid.UpdateResult.PlanLeases).
func (s *Store) heldBack(payment, consumer string, lease *getpaid.DeliveryLease) (bool, string) {
	after, seq := "", -1
	for _, o := range s.dels {
		if o.State != getpaid.DeliveryPending || o.Consumer != consumer || o.PaymentID != payment {
			continue
		}
		if o.owner != lease.Owner || !o.leaseUntil.After(lease.Now) {
			return true, ""
		}
		if o.seq > seq {
			after, seq = o.ID, o.seq
		}
	}
	return false, after
}

// clone copies res so the caller cannot reach the store's values.
func clone(res *getpaid.UpdateResult) *getpaid.UpdateResult {
	c := *res
	c.Payment = res.Payment.Clone()
	c.Events = slices.Clone(res.Events)
	c.Deliveries = slices.Clone(res.Deliveries)
	c.Leased = slices.Clone(res.Leased)
	c.Marks, c.NewMarks = slices.Clone(res.Marks), slices.Clone(res.NewMarks)
	if res.Operation != nil {
		op := *res.Operation
		c.Operation = &op
	}
	return &c
}

// EventApplied implements getpaid.Store.
func (s *Store) EventApplied(ctx context.Context, paymentID, eventKey string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied[appliedKey{paymentID, eventKey}], nil
}

// AppliedKeys implements getpaid.AppliedKeyLister.
func (s *Store) AppliedKeys(ctx context.Context, paymentID, prefix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.applied {
		if k.payment == paymentID && strings.HasPrefix(k.key, prefix) {
			out = append(out, k.key)
		}
	}
	slices.Sort(out)
	return out, nil
}

// StalePayments implements getpaid.StaleLister.
func (s *Store) StalePayments(ctx context.Context, r getpaid.StaleRequest) ([]*getpaid.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*getpaid.Payment
	for _, id := range s.order {
		p := s.payments[id]
		if r.Matches(p) && !s.claims[id].After(r.Now) {
			out = append(out, p.Clone())
		}
	}
	slices.SortStableFunc(out, func(a, b *getpaid.Payment) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	if r.Limit > 0 && len(out) > r.Limit {
		out = out[:r.Limit]
	}
	if r.Claim > 0 {
		for _, p := range out {
			s.claims[p.ID] = r.Now.Add(r.Claim)
		}
	}
	return out, nil
}

// Close implements getpaid.Store.
func (s *Store) Close() error { return nil }
