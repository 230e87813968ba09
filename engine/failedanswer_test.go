package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// rejectingAnswer is the dummy broker whose refund call is answered with
// the refund rejected (PayU answering a refund CANCELED), optionally after
// the broker's rejection notification overtook the answer; accepted makes
// that late answer "accepted, pending" (as Przelewy24's is) instead.
type rejectingAnswer struct {
	lateAnswer
	notifyFirst, accepted bool
}

func (r *rejectingAnswer) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	if r.notifyFirst {
		body := fmt.Sprintf("refund-fact %s %s %d", req.Payment.ID, req.OperationID, req.Amount.Minor)
		if res, err := r.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte(body)}); err != nil || res.Outcome != getpaid.OutcomeApplied {
			return nil, fmt.Errorf("the notification: %v, %v", res, err)
		}
	}
	if r.accepted {
		return &getpaid.Observation{PaymentID: req.Payment.ID, OperationID: req.OperationID, Kind: getpaid.KindRefundStarted, Amount: req.Amount,
			EventID: "refund:" + req.OperationID + ":accepted", BrokerRef: "rf-" + req.OperationID, BrokerStatus: "accepted"}, nil
	}
	return r.fact(req.Payment.ID, req.OperationID, req.Amount.Minor), nil
}

// A refund the broker's answer (or its notification, overtaking the
// answer) says it rejected is answered as failed, an *OperationError
// wrapping ErrOperationFailed, as its retry with the same key is: never a
// result that reads as done (over HTTP, 200).
func TestRefundRejectedInTheAnswerIsAnError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                  string
		notifyFirst, accepted bool
	}{
		{"rejected in the answer", false, false},
		{"rejection notified before the answer says so", true, false},
		{"rejection notified before the answer says accepted", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &rejectingAnswer{lateAnswer: lateAnswer{kind: getpaid.KindRefundFailed}, notifyFirst: tc.notifyFirst, accepted: tc.accepted}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { r.Broker = d; return r })
			r.eng = e.eng
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			for _, try := range []string{"first answer", "retry with the key"} {
				res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("4.00"), IdempotencyKey: "k"})
				var oe *getpaid.OperationError
				if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationFailed) || oe.Op.State != getpaid.OpFailed || res != nil {
					t.Fatalf("%s: %+v, %v; want an *OperationError wrapping ErrOperationFailed with the failed operation", try, res, err)
				}
			}
			q, _ := e.eng.Payment(ctx, p.ID)
			if q.Status != getpaid.StatusPaid || q.Refunded != 0 || q.RefundAsked != 0 {
				t.Fatalf("payment %s refunded %d asked %d, want paid, nothing refunded or reserved", q.Status, q.Refunded, q.RefundAsked)
			}
		})
	}
}

// A refund the broker's notification says it rejected keeps the broker's
// word as the operation's error: "the operation's error says why" (the
// 422 operation_failed, operations show) is never an empty error.
func TestRefundRejectedByNotificationSaysWhy(t *testing.T) {
	t.Parallel()
	for _, accepted := range []bool{false, true} {
		t.Run(fmt.Sprintf("accepted answer %v", accepted), func(t *testing.T) {
			t.Parallel()
			r := &rejectingAnswer{lateAnswer: lateAnswer{kind: getpaid.KindRefundFailed}, notifyFirst: true, accepted: accepted}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { r.Broker = d; return r })
			r.eng = e.eng
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("4.00"), IdempotencyKey: "k"})
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) {
				t.Fatalf("refund: %v, want an *OperationError", err)
			}
			op, err := e.eng.Operation(ctx, oe.Op.ID)
			if err != nil || op.State != getpaid.OpFailed || !strings.Contains(op.Error, "late answer") {
				t.Fatalf("operation %+v, %v; want failed, its error naming what the broker said (late answer)", op, err)
			}
		})
	}
}
