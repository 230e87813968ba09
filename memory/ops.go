package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/getpaid-go/getpaid"
)

// Operation implements getpaid.Store.
func (s *Store) Operation(ctx context.Context, id string) (*getpaid.Operation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[id]
	if !ok {
		return nil, fmt.Errorf("memory: operation %s: %w", id, getpaid.ErrNotFound)
	}
	c := *op
	return &c, nil
}

// Operations implements getpaid.Store. The cursor is the creation index of
// the last operation of the previous page.
func (s *Store) Operations(ctx context.Context, f getpaid.OperationFilter) (*getpaid.OperationPage, error) {
	limit, err := getpaid.PaymentFilter{Limit: f.Limit}.PageLimit()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	end, err := cursor(f.Cursor, len(s.opOrder))
	if err != nil {
		return nil, err
	}
	page := &getpaid.OperationPage{}
	for i := end - 1; i >= 0; i-- {
		op := s.ops[s.opOrder[i]]
		if !f.Matches(op) {
			continue
		}
		if len(page.Operations) == limit {
			page.NextCursor = strconv.Itoa(i + 1)
			break
		}
		c := *op
		page.Operations = append(page.Operations, &c)
	}
	return page, nil
}

// DueOperations implements getpaid.Store.
func (s *Store) DueOperations(ctx context.Context, r getpaid.DueRequest) ([]*getpaid.Operation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*getpaid.Operation
	for _, id := range s.opOrder {
		if op := s.ops[id]; r.Due(op) {
			due = append(due, op)
		}
	}
	slices.SortStableFunc(due, func(a, b *getpaid.Operation) int { return a.NextCheckAt.Compare(b.NextCheckAt) })
	if r.Limit > 0 && len(due) > r.Limit {
		due = due[:r.Limit]
	}
	out := make([]*getpaid.Operation, len(due))
	for i, op := range due {
		if r.Claim > 0 {
			op.NextCheckAt = r.Now.Add(r.Claim)
		}
		c := *op
		out[i] = &c
	}
	return out, nil
}

// cursor parses a listing cursor: an index into a list of n, or n for none.
func cursor(c string, n int) (int, error) {
	if c == "" {
		return n, nil
	}
	i, err := strconv.Atoi(c)
	if err != nil || i < 0 || i > n {
		return 0, &getpaid.FieldError{Field: "cursor", Reason: "not a cursor of this listing", Err: getpaid.ErrInvalidRequest}
	}
	return i, nil
}
