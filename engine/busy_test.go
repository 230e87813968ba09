package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// A capture, release or cancel refused because another operation of the
// payment is in doubt was answered "operation in progress", naming nothing:
// the shop could not tell which operation blocked it, nor that it waits for
// the reconciler or an operator rather than for a broker's answer. The
// refusal now carries the blocking operation and says it is in doubt.
func TestRefusedWhileAnotherOperationIsInDoubt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		first  func(e *dummyEnv, id string) error
		second func(e *dummyEnv, id string) error
	}{
		{"release after a capture in doubt",
			func(e *dummyEnv, id string) error {
				_, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: id, Amount: money("30.00"), IdempotencyKey: "c"})
				return err
			},
			func(e *dummyEnv, id string) error {
				_, err := e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: id})
				return err
			}},
		{"capture after a release in doubt",
			func(e *dummyEnv, id string) error {
				_, err := e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: id})
				return err
			},
			func(e *dummyEnv, id string) error {
				_, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: id, IdempotencyKey: "c2"})
				return err
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{})
			p := e.pay("o", "100.00", "pre_auth", getpaid.StatusPreAuth)
			_ = e.d.SetFault(dummy.FaultTimeoutBefore)
			var first *getpaid.OperationError
			if err := tc.first(e, p.ID); !errors.As(err, &first) || !errors.Is(err, getpaid.ErrOperationInDoubt) {
				t.Fatalf("first operation: %v, want it in doubt", err)
			}
			_ = e.d.SetFault(dummy.FaultNone)
			err := tc.second(e, p.ID)
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) || oe.Op == nil || oe.Op.ID != first.Op.ID || oe.Op.State != getpaid.OpUnknown {
				t.Fatalf("second operation: %v, want a refusal naming %s, in doubt", err, first.Op.ID)
			}
			// This operation never started: it is not in doubt itself (a
			// shop testing ErrOperationInDoubt would tell its buyer the
			// broker's answer to it was lost); the operation it names is.
			if !errors.Is(err, getpaid.ErrOperationInProgress) || errors.Is(err, getpaid.ErrOperationInDoubt) || !strings.Contains(err.Error(), "in doubt") {
				t.Errorf("second operation: %v, want it refused as in progress, saying the other one is in doubt", err)
			}
		})
	}
}
