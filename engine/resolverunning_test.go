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
			now := &clock{}
			gb := &gatedBroker{refund: newGate(), lookup: newGate()}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{SubmittingAfter: time.Minute}},
				func(d *dummy.Broker) getpaid.Broker { gb.Broker = d; return gb })
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			gb.refund.armed.Store(true)
			type answer struct {
				res *getpaid.ActionResult
				err error
			}
			done := make(chan answer, 1)
			go func() {
				res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
				done <- answer{res, err}
			}()
			<-gb.refund.entered // at the broker, its operation submitting
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
			a := <-done
			if a.err != nil || a.res.Operation.State != getpaid.OpSucceeded {
				t.Fatalf("refund: %+v, %v; want it answered succeeded, as the broker did it", a.res, a.err)
			}
			if n, total := e.d.Refunds(p.ID); n != 1 || total != 1000 {
				t.Fatalf("the broker made %d refunds of %d, want one of 1000", n, total)
			}
			if q, _ := e.eng.Payment(ctx, p.ID); q.Status != getpaid.StatusRefunded || q.Refunded != 1000 || q.RefundAsked != 0 {
				t.Fatalf("payment %s refunded %d asked %d; want refunded 1000 once", q.Status, q.Refunded, q.RefundAsked)
			}
		})
	}
}

// An operation left submitting longer than SubmittingAfter (its process
// died mid-call) can be decided by an operator of another process.
func TestResolveOperationLeftSubmitting(t *testing.T) {
	t.Parallel()
	now := &clock{}
	gb := &gatedBroker{refund: newGate(), lookup: newGate()}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{SubmittingAfter: time.Minute}},
		func(d *dummy.Broker) getpaid.Broker { gb.Broker = d; return gb })
	other := e.another(now.Now)
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	gb.refund.armed.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
		done <- err
	}()
	<-gb.refund.entered
	now.Advance(2 * time.Minute) // as if the process making the call had died: another decides
	res, err := other.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: gb.opID, As: getpaid.OpSucceeded, Note: "in the panel", By: "alice"})
	if err != nil || res.Operation.State != getpaid.OpSucceeded {
		t.Fatalf("decision on an operation left submitting: %+v, %v", res, err)
	}
	close(gb.refund.release)
	<-done
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
	now := &clock{}
	gb := &gatedBroker{refund: newGate(), lookup: newGate()}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{SubmittingAfter: time.Minute}},
		func(d *dummy.Broker) getpaid.Broker { gb.Broker = d; return gb })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	gb.refund.armed.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
		done <- err
	}()
	<-gb.refund.entered
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
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, total := e.d.Refunds(p.ID); n != 1 || total != 1000 {
		t.Fatalf("the broker made %d refunds of %d, want one of 1000", n, total)
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Status != getpaid.StatusRefunded || q.Refunded != 1000 || q.RefundAsked != 0 {
		t.Fatalf("payment %s refunded %d asked %d; want refunded 1000 once", q.Status, q.Refunded, q.RefundAsked)
	}
}
