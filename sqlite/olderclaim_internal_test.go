package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// TestOlderClaimAfterHeld runs the claim of a getpaid older than migration
// 014 (its statement as it was) on a file a newer one migrated, as during
// an upgrade: it names deliveries_due and knows nothing of held. With held
// in that index's WHERE, SQLite could not use it ("no query solution") and
// the older getpaid claimed nothing: no retry, no event held back by an
// earlier one, was sent by it.
func TestOlderClaimAfterHeld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "older.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const c = "webhook:https://shop.example/hook"
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-1", Backend: "dummy",
		Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("1.00", "PLN")}
	if _, err := s.CreatePayment(ctx, p, getpaid.CreateOptions{Deliver: []getpaid.Subscription{{Consumer: c}}}); err != nil {
		t.Fatal(err)
	}
	now := nanos(time.Now().Add(time.Minute))
	rows, err := s.query(ctx, `SELECT d.seq, `+prefixed("d.", deliveryCols)+`, `+prefixed("o.", eventCols)+`
		FROM deliveries d INDEXED BY deliveries_due JOIN outbox o ON o.id = d.event_id
		WHERE d.state = 'pending' AND d.consumer = ? AND d.next_at <= ? AND d.lease_until <= ?
		  AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.state = 'pending' AND e.consumer = d.consumer
		                  AND e.payment_id = d.payment_id AND e.event_seq < d.event_seq)
		ORDER BY d.next_at, d.seq LIMIT 64`, c, now, now)
	if err != nil {
		t.Fatalf("claim of a getpaid older than 014: %v", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil || n != 1 {
		t.Fatalf("claim of a getpaid older than 014: %d deliveries (%v); want 1", n, err)
	}
}
