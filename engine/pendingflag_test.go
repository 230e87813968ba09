package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// A refund the broker accepted and has not finished is flagged for an
// operator once flag_operations_after has passed, as one in doubt is: its
// first check comes no later than that, not 10 minutes after it was
// accepted whatever the setting (a 1 min flag came at 10 min).
func TestPendingOperationFlaggedOnTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		flag    time.Duration
		advance time.Duration
		want    bool
	}{
		{"flag after 1 min, 90 s later", time.Minute, 90 * time.Second, true},
		{"flag after 1 min, 30 s later", time.Minute, 30 * time.Second, false},
		{"flag after 24 h, 11 min later", 24 * time.Hour, 11 * time.Minute, false},
		{"flag after 1 ns: passed when the broker accepted it", time.Nanosecond, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			now := &clock{}
			fb := &fakeBroker{}
			e := newEngineConfig(t, refBroker{fb}, engine.Config{Store: memory.New(), Now: now.Now,
				Reconcile: engine.ReconcileConfig{FlagAfter: tc.flag}})
			p := paidPayment(t, e, fb)
			op := pendingRefund(t, e, p)
			now.Advance(tc.advance)
			if _, err := e.Reconcile(ctx, 10); err != nil {
				t.Fatal(err)
			}
			op, err := e.Operation(ctx, op.ID)
			if err != nil {
				t.Fatal(err)
			}
			if op.Flagged != tc.want || op.State != getpaid.OpPending {
				t.Fatalf("pending refund %s later: %s, flagged %v; want pending, flagged %v", tc.advance, op.State, op.Flagged, tc.want)
			}
		})
	}
}
