package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// An operator's decision on an operation whose broker call is still running
// (submitting, younger than ReconcileConfig.SubmittingAfter) is refused: the
// call's own answer settles it. Taken as failed, a running refund gave its
// reservation back, so a second refund of the same money was sent to the
// broker while the first was still there, and the first request was
// answered 200 with a failed operation (its retry 422 operation_failed) though
// the broker did it. Once SubmittingAfter has passed, the operation is
// taken for lost (its process died) and an operator may decide.
func TestResolveWhileTheBrokerCallRuns(t *testing.T) {
	t.Parallel()
	for _, as := range []getpaid.OperationState{getpaid.OpFailed, getpaid.OpSucceeded} {
		t.Run(string(as), func(t *testing.T) {
			t.Parallel()
			h := holdRefundAtBroker(t) // at the broker, its operation submitting
			e, gb, p, ctx := h.e, h.gb, h.p, context.Background()
			_, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: gb.opID, As: as, Note: "looks stuck", By: "alice"})
			var oe *getpaid.OperationError
			if !errors.Is(err, getpaid.ErrConflict) || !errors.As(err, &oe) || oe.Op.State != getpaid.OpSubmitting {
				t.Errorf("decision while the broker call runs: %v; want ErrConflict naming the submitting operation", err)
			}
			if as == getpaid.OpFailed {
				// Nothing is refundable while the first refund is at the broker.
				if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k2"}); !errors.Is(err, getpaid.ErrForbiddenTransition) {
					t.Errorf("second refund while the first is at the broker: %v; want it refused", err)
				}
			}
			close(gb.refund.release)
			a := <-h.done
			if a.err != nil || a.res.Operation.State != getpaid.OpSucceeded {
				t.Fatalf("refund: %+v, %v; want it answered succeeded, as the broker did it", a.res, a.err)
			}
			h.refundedOnce(t)
		})
	}
}

// An operation left submitting longer than SubmittingAfter (its process
// died mid-call) can be decided by an operator of another process.
func TestResolveOperationLeftSubmitting(t *testing.T) {
	t.Parallel()
	h := holdRefundAtBroker(t)
	e, gb, now, p, ctx := h.e, h.gb, h.now, h.p, context.Background()
	other := e.another(now.Now)
	now.Advance(2 * time.Minute) // as if the process making the call had died: another decides
	res, err := other.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: gb.opID, As: getpaid.OpSucceeded, Note: "in the panel", By: "alice"})
	if err != nil || res.Operation.State != getpaid.OpSucceeded {
		t.Fatalf("decision on an operation left submitting: %+v, %v", res, err)
	}
	close(gb.refund.release)
	<-h.done
	if q, _ := e.eng.Payment(ctx, p.ID); q.Refunded != 1000 || q.RefundAsked != 0 {
		t.Fatalf("payment refunded %d asked %d; want 1000 once", q.Refunded, q.RefundAsked)
	}
}

// A broker call that outlives SubmittingAfter in a process that is alive
// (four slow requests of one PayU call: a token, the request, and both again
// after a 401) is not taken for lost by that process: its reconciler does
// not fail the operation on a lookup that shows nothing done yet, and its
// operators cannot decide it, until the call's answer is recorded. Before,
// the lookup failed the refund, giving its reservation back, and a second
// refund of the same money could be sent while the first was at the broker.
func TestCallOutlivingSubmittingAfter(t *testing.T) {
	t.Parallel()
	h := holdRefundAtBroker(t)
	e, gb, now, p, ctx := h.e, h.gb, h.now, h.p, context.Background()
	now.Advance(2 * time.Minute) // the call still runs, past SubmittingAfter
	if n, err := e.eng.Reconcile(ctx, 10); err != nil || n != 0 {
		t.Fatalf("reconcile while the call runs here: %d settled, %v; want none", n, err)
	}
	if op, _ := e.eng.Operation(ctx, gb.opID); op.State != getpaid.OpSubmitting {
		t.Fatalf("operation %s while its call runs here; want it still submitting", op.State)
	}
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: gb.opID, As: getpaid.OpFailed, Note: "looks stuck", By: "alice"}); !errors.Is(err, getpaid.ErrConflict) {
		t.Errorf("decision while the call runs here: %v; want ErrConflict", err)
	}
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k2"}); err == nil {
		t.Errorf("a second refund while the first is at the broker was accepted")
	}
	close(gb.refund.release)
	if a := <-h.done; a.err != nil {
		t.Fatal(a.err)
	}
	h.refundedOnce(t)
}

// heldRefund is a full refund of a paid 10.00 payment held at the broker
// (SubmittingAfter a minute): its operation, gb.opID, is submitting, and
// its call waits until gb.refund.release is closed; done gets its answer.
type heldRefund struct {
	e    *dummyEnv
	gb   *gatedBroker
	now  *clock
	p    *getpaid.Payment
	done chan refundAnswer
}

type refundAnswer struct {
	res *getpaid.ActionResult
	err error
}

func holdRefundAtBroker(t *testing.T) *heldRefund {
	t.Helper()
	h := &heldRefund{now: &clock{}, gb: &gatedBroker{refund: newGate(), lookup: newGate()}, done: make(chan refundAnswer, 1)}
	h.e = newDummyEnv(t, dummy.Config{}, engine.Config{Now: h.now.Now, Reconcile: engine.ReconcileConfig{SubmittingAfter: time.Minute}},
		func(d *dummy.Broker) getpaid.Broker { h.gb.Broker = d; return h.gb })
	h.p = h.e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	h.gb.refund.armed.Store(true)
	go func() {
		res, err := h.e.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: h.p.ID, IdempotencyKey: "k"})
		h.done <- refundAnswer{res, err}
	}()
	<-h.gb.refund.entered
	return h
}

// refundedOnce fails the test unless the broker made one refund of 1000 and
// the payment counts it once, nothing left reserved.
func (h *heldRefund) refundedOnce(t *testing.T) {
	t.Helper()
	if n, total := h.e.d.Refunds(h.p.ID); n != 1 || total != 1000 {
		t.Fatalf("the broker made %d refunds of %d, want one of 1000", n, total)
	}
	if q, _ := h.e.eng.Payment(context.Background(), h.p.ID); q.Status != getpaid.StatusRefunded || q.Refunded != 1000 || q.RefundAsked != 0 {
		t.Fatalf("payment %s refunded %d asked %d; want refunded 1000 once", q.Status, q.Refunded, q.RefundAsked)
	}
}
