package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// localRefusal is a broker whose refund refuses the request before sending
// anything (Dotpay without seller API credentials answers ErrNotSupported),
// and whose lookup cannot tell either.
type localRefusal struct {
	*dummy.Broker
	err error
}

func (l *localRefusal) Refund(context.Context, *getpaid.RefundRequest) (*getpaid.Observation, error) {
	return nil, l.err
}

func (l *localRefusal) FetchOperation(context.Context, *getpaid.OperationRequest) (*getpaid.Observation, error) {
	return nil, fmt.Errorf("test: look up: %w", getpaid.ErrNotSupported)
}

// A broker adapter refusing a request before sending it (a sentinel error,
// no *BrokerError) did nothing: the operation fails and its reservation is
// taken back, instead of staying in doubt that nobody can resolve. An error
// that says nothing of the kind is still doubt.
func TestRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		err   error
		doubt bool
	}{
		{"not supported", fmt.Errorf("test: refund: %w: set api_username", getpaid.ErrNotSupported), false},
		{"invalid request", fmt.Errorf("test: %w: no completed payment", getpaid.ErrInvalidRequest), false},
		{"invalid amount", fmt.Errorf("test: %w: refund of 0.50 HUF", getpaid.ErrInvalidAmount), false},
		{"unclassified", errors.New("connection reset by peer"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{},
				func(d *dummy.Broker) getpaid.Broker { return &localRefusal{Broker: d, err: tc.err} })
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) {
				t.Fatalf("refund: %v, want an *OperationError", err)
			}
			q, _ := e.eng.Payment(ctx, p.ID)
			if tc.doubt {
				if !errors.Is(err, getpaid.ErrOperationInDoubt) || oe.Op.State != getpaid.OpUnknown || q.RefundAsked != 1000 {
					t.Fatalf("refund: %v (%s), asked %d; want it in doubt with 10.00 reserved", err, oe.Op.State, q.RefundAsked)
				}
				return
			}
			if !errors.Is(err, getpaid.ErrOperationFailed) || !errors.Is(err, tc.err) || oe.Op.State != getpaid.OpFailed {
				t.Fatalf("refund: %v (%s); want it failed, saying why", err, oe.Op.State)
			}
			if q.Status != getpaid.StatusPaid || q.RefundAsked != 0 || q.Refunded != 0 {
				t.Fatalf("payment %s, asked %d, refunded %d; want paid with nothing reserved", q.Status, q.RefundAsked, q.Refunded)
			}
		})
	}
}
