package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/getpaid-go/getpaid"
)

var _ getpaid.SecondTransactionLister = (*Engine)(nil)

// SecondTransactions lists the broker's ids of the transactions recorded
// as second transactions of payment id (a buyer who paid twice: see
// markSecond), in byte order, as the console shows them on the payment's
// page. The record outlives the process, unlike the callbacks the console
// remembers. It needs a store implementing getpaid.AppliedKeyLister;
// others answer getpaid.ErrNotSupported.
func (e *Engine) SecondTransactions(ctx context.Context, id string) ([]string, error) {
	l, ok := e.store.(getpaid.AppliedKeyLister)
	if !ok {
		return nil, fmt.Errorf("engine: second transactions: %w", getpaid.ErrNotSupported)
	}
	p, err := e.store.Payment(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("engine: second transactions of %q: %w", id, err)
	}
	prefix := secondKey(getpaid.Backend{Name: p.Backend}, "")
	keys, err := l.AppliedKeys(ctx, id, prefix)
	if errors.Is(err, getpaid.ErrNotSupported) {
		return nil, fmt.Errorf("engine: second transactions: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("engine: second transactions of %q: %w", id, err)
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, strings.TrimPrefix(k, prefix))
	}
	return out, nil
}
