package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An operation a process left submitting (killed during its broker call),
// settled by the reconciler's first check, keeps in its error what left it
// in doubt, as one that succeeded after a timeout does: its error was
// empty, and nothing on it said that its answer had been lost.
func TestOrphanSettledSaysItsAnswerWasLost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		done bool // the broker made the capture before the process died
		want getpaid.OperationState
	}{
		{"done", true, getpaid.OpSucceeded},
		{"not done", false, getpaid.OpFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now})
			ctx := context.Background()
			p := e.pay("o-orphan", "10.00", "pre_auth", getpaid.StatusPreAuth)
			// As operate records it before it calls the broker; then the
			// process dies.
			op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: "dummy", Kind: getpaid.OpCapture,
				State: getpaid.OpSubmitting, Amount: p.Amount, CreatedAt: now.Now(), UpdatedAt: now.Now()}
			if _, err := e.store.UpdatePayment(ctx, p.ID, getpaid.Mutation{
				Apply:     func(*getpaid.Payment) (bool, error) { return false, nil },
				Operation: &getpaid.OperationChange{New: op},
			}); err != nil {
				t.Fatal(err)
			}
			if tc.done {
				if _, err := e.d.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: p.Amount, OperationID: op.ID}); err != nil {
					t.Fatal(err)
				}
			}
			got, _, _ := e.reconcileAfter(t, now, 2*time.Minute+time.Second, op.ID, p.ID)
			if got.State != tc.want || !strings.Contains(got.Error, "answer was not recorded") {
				t.Fatalf("after the reconciler's check: %s, error %q; want %s, saying the broker's answer was not recorded", got.State, got.Error, tc.want)
			}
		})
	}
}
