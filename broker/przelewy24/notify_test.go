package przelewy24

import (
	"context"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
)

// Przelewy24 sends a transaction notification again after 3, 5, 15, 30, 60,
// 150 and 450 minutes until the merchant verifies the transaction, even when
// it was answered 200 (the simulator scales minutes by RetryUnit).
func TestNotificationRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		unit        time.Duration
		script      []int
		verifyAfter int // deliveries before verify; 0 never
		want        []int
	}{
		{"verified at once", 100 * time.Millisecond, nil, 1, []int{200}},
		{"answered 200 but not verified: sent again until verified", 100 * time.Millisecond, nil, 3, []int{200, 200, 200}},
		{"errors, then verified", 100 * time.Millisecond, []int{500, 503}, 3, []int{500, 503, 200}},
		{"never verified: the whole schedule, then nothing", time.Millisecond, []int{500}, 0, []int{500, 200, 200, 200, 200, 200, 200, 200}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, func(c *p24test.Config) { c.RetryUnit = tc.unit }, tc.script...)
			ctx := context.Background()
			p := newPayment(1000, "PLN")
			prep := e.prepare(t, p)
			if err := e.sim.Pay(ctx, prep.Redirect, p24test.OutcomePaid); err != nil {
				t.Fatal(err)
			}
			if tc.verifyAfter > 0 {
				waitFor(t, "deliveries", func() bool { return len(e.sim.Notifications()) >= tc.verifyAfter })
				o, err := e.b.ParseCallback(ctx, e.recv.requests()[0])
				if err != nil {
					t.Fatal(err)
				}
				if err := e.b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: o}); err != nil {
					t.Fatal(err)
				}
			} else {
				waitFor(t, "the whole schedule", func() bool { return len(e.sim.Notifications()) >= len(tc.want) })
			}
			e.sim.Close() // waits for the delivery goroutine: no further attempts
			log := e.sim.Notifications()
			if len(log) != len(tc.want) {
				t.Fatalf("%d deliveries, want %d: %+v", len(log), len(tc.want), log)
			}
			for i, d := range log {
				if d.Attempt != i+1 || d.Kind != "transaction" || d.SessionID != p.ID || d.Status != tc.want[i] {
					t.Errorf("delivery %d: %+v, want status %d", i, d, tc.want[i])
				}
			}
			// The pauses follow the schedule: attempt n+1 comes at least
			// RetrySchedule[n-1] units after attempt n.
			for i := 1; i < len(log); i++ {
				if gap, min := log[i].At.Sub(log[i-1].At), tc.unit*time.Duration(p24test.RetrySchedule()[i-1]); gap < min {
					t.Errorf("attempt %d came %s after the previous one, want at least %s", i+1, gap, min)
				}
			}
		})
	}
}
