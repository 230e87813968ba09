package memory

import (
	"context"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

var (
	_ getpaid.PaymentTotaler  = (*Store)(nil)
	_ getpaid.BacklogReporter = (*Store)(nil)
	_ getpaid.Readier         = (*Store)(nil)
)

// PaymentTotals implements getpaid.PaymentTotaler by counting every payment.
func (s *Store) PaymentTotals(ctx context.Context, f getpaid.PaymentFilter) ([]getpaid.PaymentTotal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	byKey := map[[2]string]int{}
	var out []getpaid.PaymentTotal
	for _, id := range s.order {
		p := s.payments[id]
		if !f.Matches(p) {
			continue
		}
		k := [2]string{string(p.Status), p.Amount.Currency}
		i, ok := byKey[k]
		if !ok {
			i = len(out)
			byKey[k] = i
			out = append(out, getpaid.PaymentTotal{Status: p.Status, Amount: getpaid.Money{Currency: p.Amount.Currency}})
		}
		if err := out[i].Add(1, p.Amount.Minor); err != nil {
			return nil, fmt.Errorf("memory: payment totals: %w", err)
		}
	}
	getpaid.SortTotals(out)
	return out, nil
}

// Backlog implements getpaid.BacklogReporter: the pending deliveries, the
// oldest of them, and the dead ones.
func (s *Store) Backlog(ctx context.Context) (getpaid.Backlog, error) {
	var b getpaid.Backlog
	if err := ctx.Err(); err != nil {
		return b, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.delOrder {
		d := s.dels[id]
		if d.State == getpaid.DeliveryDead {
			b.Dead++
		}
		if d.State != getpaid.DeliveryPending {
			continue
		}
		b.Pending++
		if b.Oldest.IsZero() || d.CreatedAt.Before(b.Oldest) {
			b.Oldest = d.CreatedAt
		}
	}
	for _, op := range s.ops {
		if op.State == getpaid.OpUnknown {
			b.InDoubt++
		}
		if op.Flagged { // settled ones too: the broker contradicted how they ended
			b.Flagged++
		}
	}
	return b, nil
}

// Ready implements getpaid.Readier: memory is always there.
func (s *Store) Ready(ctx context.Context) error { return ctx.Err() }
