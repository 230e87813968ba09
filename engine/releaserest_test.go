package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// restReleaser is the dummy broker capturing as PayU does: part of a hold
// captured, the rest released with it; the answer is lost.
type restReleaser struct{ *dummy.Broker }

func (r *restReleaser) Capture(ctx context.Context, req *getpaid.CaptureRequest) (*getpaid.Observation, error) {
	if _, err := r.Broker.Capture(ctx, req); err != nil {
		return nil, err
	}
	if _, err := r.Broker.Release(ctx, &getpaid.ReleaseRequest{Payment: req.Payment, OperationID: req.OperationID}); err != nil {
		return nil, err
	}
	return nil, &getpaid.BrokerError{Op: "test: capture", Retryable: true, Happened: true, Err: context.DeadlineExceeded}
}

// A partial capture in doubt that an operator resolved as done is recorded
// as captured with the rest still held (the decision cannot tell that the
// broker let the rest go). When the broker then says it captured that much
// and released the rest (PayU's COMPLETED, a poll), the rest is released:
// it stayed held for good, the payment pre_auth, and neither a release (the
// broker's order is completed) nor a refund (part still held) could move it.
func TestPartialCaptureResolvedThenBrokerReleasedTheRest(t *testing.T) {
	t.Parallel()
	r := &restReleaser{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { r.Broker = d; return r })
	ctx := context.Background()
	p := e.pay("o", "10.00", "pre_auth", getpaid.StatusPreAuth)
	_, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("3.00"), IdempotencyKey: "c"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) {
		t.Fatalf("capture with a lost answer: %v", err)
	}
	res, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "3.00 captured in the panel", By: "alice"})
	if err != nil || res.Payment.Captured != 300 {
		t.Fatalf("resolve: %+v, %v", res, err)
	}
	q, err := e.eng.Poll(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.Status != getpaid.StatusPartiallyPaid || q.Captured != 300 || q.Locked != 0 {
		t.Fatalf("after the broker said the rest is released: %s captured %d locked %d; want partially_paid, 300, nothing held", q.Status, q.Captured, q.Locked)
	}
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r"}); err != nil {
		t.Fatalf("refund of what was captured: %v", err)
	}
}
