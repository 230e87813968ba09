package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// Issue 9, acceptance 1: refund 30 of a paid 100, then 70; a third refund
// of 1 is refused with no broker call.
func TestRefundsDownToZero(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	p := e.pay("o-1", "100.00", "paid", getpaid.StatusPaid)
	res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "k1"})
	if err != nil || res.Payment.Status != getpaid.StatusPartiallyRefunded || res.Operation.State != getpaid.OpSucceeded {
		t.Fatalf("refund 30: %+v, %v", res, err)
	}
	res, err = e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("70.00"), IdempotencyKey: "k2"})
	if err != nil || res.Payment.Status != getpaid.StatusRefunded || res.Payment.Refunded != 10000 {
		t.Fatalf("refund 70: %+v, %v", res, err)
	}
	_, err = e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("0.01"), IdempotencyKey: "k3"})
	if !errors.Is(err, getpaid.ErrForbiddenTransition) && !errors.Is(err, getpaid.ErrInvalidAmount) {
		t.Fatalf("third refund: %v, want refused", err)
	}
	if !strings.Contains(err.Error(), "refunded already") { // not "nothing captured": 100.00 was
		t.Errorf("third refund refused with %q, want it to say everything is refunded already", err)
	}
	if n, total := e.d.Refunds(p.ID); n != 2 || total != 10000 {
		t.Fatalf("the broker refunded %d times, %d in all; want 2, 10000", n, total)
	}
	ops, _ := e.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if len(ops.Operations) != 2 {
		t.Fatalf("%d operations recorded, want 2 (the refused one wrote nothing)", len(ops.Operations))
	}
}

// staleFirstRead answers the next Payment read with a copy taken earlier:
// the read of a request that another request's change overtook.
type staleFirstRead struct {
	getpaid.Store
	stale atomic.Pointer[getpaid.Payment]
}

func (s *staleFirstRead) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	if p := s.stale.Swap(nil); p != nil {
		return p, nil
	}
	return s.Store.Payment(ctx, id)
}

// A refund of everything asked while another refund overtook it refunds
// what is left when it takes its turn, not what its earlier read saw (it
// was refused as too much).
func TestRefundOfTheRestAfterAStaleRead(t *testing.T) {
	t.Parallel()
	st := &staleFirstRead{Store: memory.New()}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: st})
	ctx := context.Background()
	p := e.pay("o-rest", "100.00", "paid", getpaid.StatusPaid)
	before, err := st.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "k1"}); err != nil {
		t.Fatal(err)
	}
	st.stale.Store(before)
	res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k2"})
	if err != nil || res.Operation.Amount.Minor != 7000 || res.Payment.Status != getpaid.StatusRefunded {
		t.Fatalf("refund of the rest after a stale read: %+v, %v; want 70.00 refunded, the payment refunded", res, err)
	}
	if n, total := e.d.Refunds(p.ID); n != 2 || total != 10000 {
		t.Fatalf("the broker refunded %d times, %d in all; want 2, 10000", n, total)
	}
	// So with a capture of the whole hold, and the hold a release gives back.
	for _, release := range []bool{false, true} {
		h := e.pay(fmt.Sprint("o-hold-", release), "100.00", "pre_auth", getpaid.StatusPreAuth)
		before, err := st.Payment(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: h.ID, Amount: money("30.00"), IdempotencyKey: "c1"}); err != nil {
			t.Fatal(err)
		}
		st.stale.Store(before)
		act := e.eng.Capture
		if release {
			act = e.eng.Release
		}
		res, err := act(ctx, getpaid.ActionRequest{PaymentID: h.ID, IdempotencyKey: "c2"})
		if err != nil || res.Operation.Amount.Minor != 7000 || res.Payment.Locked != 0 {
			t.Fatalf("release %v after a stale read: %+v, %v; want the 70.00 left held", release, res, err)
		}
	}
}

// Issue 9, acceptance 2: the broker applies a refund and its answer is lost;
// the reconciler finds it applied. Or the answer is lost before it applied:
// the reconciler marks it failed and the money is refundable again.
func TestRefundInDoubtReconciled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault     string
		want      getpaid.OperationState
		refunds   int
		status    getpaid.Status
		refundAgn bool
	}{
		{dummy.FaultTimeoutAfter, getpaid.OpSucceeded, 1, getpaid.StatusRefunded, false},
		{dummy.FaultTimeoutBefore, getpaid.OpFailed, 0, getpaid.StatusPaid, true},
		{dummy.Fault5xx, getpaid.OpFailed, 0, getpaid.StatusPaid, true},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now})
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			if err := e.d.SetFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
			var oe *getpaid.OperationError
			if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) || oe.Op.State != getpaid.OpUnknown {
				t.Fatalf("refund with a lost answer: %v, want the operation in doubt", err)
			}
			if q, _ := e.eng.Payment(ctx, p.ID); q.Status != getpaid.StatusRefundStarted {
				t.Fatalf("in doubt the payment is %s, want refund_started", q.Status)
			}
			// A retry with the same key never reaches the broker again.
			if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"}); !errors.Is(err, getpaid.ErrOperationInDoubt) {
				t.Fatalf("retry in doubt: %v", err)
			}
			_ = e.d.SetFault(dummy.FaultNone)
			if n, _ := e.eng.Reconcile(ctx, 10); n != 0 {
				t.Fatalf("reconciled %d before the first check was due", n)
			}
			now.Advance(31e9)
			n, err := e.eng.Reconcile(ctx, 10)
			if tc.want == getpaid.OpFailed && err == nil {
				// Nothing at the broker 31 s after a request whose answer
				// was lost: it may still reach it, so not failed yet (a
				// refund asked again would move the money twice); failed
				// once SubmittingAfter (2 min) has passed.
				if op, _ := e.eng.Operation(ctx, oe.Op.ID); n != 0 || op.State != getpaid.OpUnknown {
					t.Fatalf("31 s after: reconciled %d, operation %s; want it still unknown", n, op.State)
				}
				now.Advance(2 * time.Minute)
				n, err = e.eng.Reconcile(ctx, 10)
			}
			if err != nil || n != 1 {
				t.Fatalf("reconcile: %d, %v", n, err)
			}
			op, _ := e.eng.Operation(ctx, oe.Op.ID)
			q, _ := e.eng.Payment(ctx, p.ID)
			if op.State != tc.want || q.Status != tc.status || q.RefundAsked != 0 {
				t.Fatalf("after reconciling: operation %s, payment %s (asked %d); want %s, %s", op.State, q.Status, q.RefundAsked, tc.want, tc.status)
			}
			if op.Attempts == 0 {
				// What `getpaid operations show` prints as its checks: the
				// one that settled it counts.
				t.Errorf("the operation the reconciler settled shows %d checks", op.Attempts)
			}
			if n, _ := e.d.Refunds(p.ID); n != tc.refunds {
				t.Fatalf("the broker refunded %d times, want %d", n, tc.refunds)
			}
			if tc.want == getpaid.OpFailed && !strings.Contains(op.Error, "later check") {
				// Not a refusal: the answer was lost and a check showed
				// nothing happened.
				t.Errorf("operation settled as failed says %q, want it to say a later check found it not done", op.Error)
			}
			_, err = e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k2"})
			if tc.refundAgn != (err == nil) {
				t.Fatalf("refund again with a new key: %v", err)
			}
		})
	}
}

// Issue 9, acceptance 3: twenty concurrent requests with the same key make
// one broker call and get consistent answers.
func TestConcurrentSameIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ops := map[string]int{}
	for range 20 {
		wg.Go(func() {
			res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("4.00"), IdempotencyKey: "same"})
			mu.Lock()
			defer mu.Unlock()
			var oe *getpaid.OperationError
			switch {
			case err == nil:
				ops[res.Operation.ID]++
			case errors.As(err, &oe) && errors.Is(err, getpaid.ErrOperationInProgress):
				ops[oe.Op.ID]++
			default:
				t.Errorf("refund: %v", err)
			}
		})
	}
	wg.Wait()
	if len(ops) != 1 {
		t.Fatalf("answers name %d operations, want 1: %v", len(ops), ops)
	}
	if n, total := e.d.Refunds(p.ID); n != 1 || total != 400 {
		t.Fatalf("broker refunded %d times (%d), want once", n, total)
	}
	// The same key for another amount is refused.
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("5.00"), IdempotencyKey: "same"}); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("same key, other amount: %v", err)
	}
}

// Issue 9, acceptance 4: pre-authorise 100, capture 30, release: partially
// paid with 70 released; pre-authorise 100, release: cancelled; a capture
// racing a release: exactly one reaches the broker.
func TestCaptureRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("capture 30 then release", func(t *testing.T) {
		t.Parallel()
		e := newDummyEnv(t, dummy.Config{}, engine.Config{})
		p := e.pay("o", "100.00", "pre_auth", getpaid.StatusPreAuth)
		res, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("30.00"), IdempotencyKey: "c"})
		if err != nil || res.Payment.Status != getpaid.StatusPreAuth || res.Payment.Captured != 3000 || res.Payment.Locked != 7000 || res.Payment.ActiveOp != "" {
			t.Fatalf("capture 30: %+v, %v", res, err)
		}
		// A refund while the rest is held is refused, and says why (not
		// "nothing captured": 30.00 is).
		var te *getpaid.TransitionError
		if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("10.00"), IdempotencyKey: "r"}); !errors.As(err, &te) || !strings.Contains(te.Reason, "still held") {
			t.Fatalf("refund while 70.00 is held: %v, want a TransitionError saying the hold is still open", err)
		}
		res, err = e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: p.ID})
		if err != nil || res.Payment.Status != getpaid.StatusPartiallyPaid || res.Payment.Locked != 0 || res.Payment.Captured != 3000 {
			t.Fatalf("release: %+v, %v", res, err)
		}
		if res.Operation.Amount.Minor != 7000 { // what the release gave back
			t.Errorf("the release operation's amount is %s, want the 70.00 it released", res.Operation.Amount)
		}
	})
	t.Run("release everything", func(t *testing.T) {
		t.Parallel()
		e := newDummyEnv(t, dummy.Config{}, engine.Config{})
		p := e.pay("o", "100.00", "pre_auth", getpaid.StatusPreAuth)
		res, err := e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: p.ID})
		if err != nil || res.Payment.Status != getpaid.StatusCancelled {
			t.Fatalf("release: %+v, %v", res, err)
		}
	})
	t.Run("capture racing release", func(t *testing.T) {
		t.Parallel()
		e := newDummyEnv(t, dummy.Config{}, engine.Config{})
		p := e.pay("o", "100.00", "pre_auth", getpaid.StatusPreAuth)
		// Hold the broker: its answers are lost, so the first operation
		// stays in flight while the second arrives.
		_ = e.d.SetFault(dummy.FaultTimeoutBefore)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() { _, errs[0] = e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "c"}) })
		wg.Go(func() { _, errs[1] = e.eng.Release(ctx, getpaid.ActionRequest{PaymentID: p.ID}) })
		wg.Wait()
		doubt, refused := 0, 0
		for i, err := range errs {
			kind := []getpaid.OperationKind{getpaid.OpCapture, getpaid.OpRelease}[i]
			var oe *getpaid.OperationError
			switch {
			case !errors.As(err, &oe):
				t.Errorf("unexpected: %v", err)
			case oe.Op.Kind != kind && (errors.Is(err, getpaid.ErrOperationInProgress) || errors.Is(err, getpaid.ErrOperationInDoubt)):
				refused++ // naming the other one, in flight or already in doubt
			case errors.Is(err, getpaid.ErrOperationInDoubt):
				doubt++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}
		if doubt != 1 || refused != 1 {
			t.Fatalf("%d reached the broker, %d refused; want 1 and 1", doubt, refused)
		}
	})
	t.Run("capture above the hold refused without a broker call", func(t *testing.T) {
		t.Parallel()
		e := newDummyEnv(t, dummy.Config{}, engine.Config{})
		p := e.pay("o", "100.00", "pre_auth", getpaid.StatusPreAuth)
		if _, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("100.01"), IdempotencyKey: "c"}); !errors.Is(err, getpaid.ErrInvalidAmount) {
			t.Fatalf("over-capture: %v", err)
		}
		if q, _ := e.eng.Payment(ctx, p.ID); q.Locked != 10000 || q.ActiveOp != "" {
			t.Fatalf("after a refused capture: %+v", q)
		}
	})
}

// Issue 9, campaign finding 1: a refund retried with the same key after the
// broker refused it is answered as failed again, never 2xx, and never sent
// again; a new key may try again.
func TestRefusedRefundRetriedWithSameKey(t *testing.T) {
	t.Parallel()
	r := &refuser{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { r.Broker = d; return r })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	r.refuse.Store(true)
	for i := range 2 {
		_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
		var oe *getpaid.OperationError
		if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationFailed) || oe.Op.State != getpaid.OpFailed {
			t.Fatalf("attempt %d: %v, want the failed operation", i, err)
		}
	}
	if n := r.calls.Load(); n != 1 {
		t.Fatalf("the broker was asked %d times, want once", n)
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Status != getpaid.StatusPaid || q.RefundAsked != 0 {
		t.Fatalf("after a refused refund: %s, asked %d", q.Status, q.RefundAsked)
	}
	r.refuse.Store(false)
	if res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k2"}); err != nil || res.Payment.Status != getpaid.StatusRefunded {
		t.Fatalf("a new key: %+v, %v", res, err)
	}
}

// refuser is the dummy broker, refusing refunds while refuse is set.
type refuser struct {
	*dummy.Broker
	refuse atomic.Bool
	calls  atomic.Int64
}

func (r *refuser) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	r.calls.Add(1)
	if r.refuse.Load() {
		return nil, &getpaid.BrokerError{Op: "test: refund", Status: 400, Err: errors.New("refused")}
	}
	return r.Broker.Refund(ctx, req)
}

// Issue 9, campaign finding 2: a refund whose process died during the
// broker call (left submitting) is resolved by the reconciler, not left
// refund_started for ever.
func TestSubmittingOperationOfADeadProcess(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now})
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	// What a process writes before calling the broker, and then dies.
	op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Backend: "dummy", Kind: getpaid.OpRefund,
		State: getpaid.OpSubmitting, Amount: p.Amount, RequestHash: getpaid.RequestHash(getpaid.OpRefund, nil)}
	refund := &getpaid.Observation{Kind: getpaid.KindRefundStarted, Amount: p.Amount}
	if _, err := e.store.UpdatePayment(ctx, p.ID, getpaid.Mutation{Operation: &getpaid.OperationChange{New: op},
		Apply: func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, refund) }}); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.eng.Reconcile(ctx, 10); n != 0 {
		t.Fatal("a fresh submitting operation was reconciled while its call may still run")
	}
	got, q, n := e.reconcileAfter(t, now, 3*time.Minute, op.ID, p.ID)
	if n != 1 {
		t.Fatalf("the reconciler resolved %d operations, want the 1 left submitting", n)
	}
	if got.State != getpaid.OpFailed || q.Status != getpaid.StatusPaid || q.RefundAsked != 0 {
		t.Fatalf("after reconciling: %s, payment %s asked %d; want failed (the broker never saw it), paid", got.State, q.Status, q.RefundAsked)
	}
}

// Issue 9, campaign finding 3: a capture the broker reports after a refund
// began is recorded: partially paid 5.00, refunded, then 10.00 captured.
func TestLateCaptureAfterRefund(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	p := e.pay("o", "10.00", "partially_paid", getpaid.StatusPartiallyPaid)
	if res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"}); err != nil || res.Payment.Status != getpaid.StatusRefunded {
		t.Fatalf("refund: %+v, %v", res, err)
	}
	res, err := e.callback(dummy.Callback{PaymentID: p.ID, EventID: "late", Status: "paid", Amount: "10.00", Currency: "PLN"})
	if err != nil || res.Outcome != getpaid.OutcomeApplied {
		t.Fatalf("late capture: %+v, %v", res, err)
	}
	q, _ := e.eng.Payment(ctx, p.ID)
	if q.Status != getpaid.StatusPartiallyRefunded || q.Captured != 1000 || q.Refunded != 500 {
		t.Fatalf("after the late capture: %s captured %d refunded %d", q.Status, q.Captured, q.Refunded)
	}
	// And a hold reported after a failure is recorded too.
	f := e.pay("o2", "10.00", "failed", getpaid.StatusFailed)
	if _, err := e.callback(dummy.Callback{PaymentID: f.ID, EventID: "hold", Status: "pre_auth", Amount: "10.00", Currency: "PLN"}); err != nil {
		t.Fatal(err)
	}
	if q, _ := e.eng.Payment(ctx, f.ID); q.Status != getpaid.StatusPreAuth || q.Locked != 1000 {
		t.Fatalf("hold after failure: %s locked %d", q.Status, q.Locked)
	}
}

// An operator resolves an operation in doubt: recorded with who and why.
func TestResolveOperation(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	_ = e.d.SetFault(dummy.FaultTimeoutBefore)
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) {
		t.Fatal(err)
	}
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpFailed}); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("resolve without a note: %v", err)
	}
	res, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpFailed, Note: "not in the broker's panel", By: "alice"})
	if err != nil || res.Operation.State != getpaid.OpFailed || res.Operation.ResolvedBy != "alice" || res.Operation.Note == "" || res.Payment.Status != getpaid.StatusPaid {
		t.Fatalf("resolve: %+v, %v", res, err)
	}
	// The payment's history (and its webhook's cause) says an operator
	// decided, as it does for a refund resolved as succeeded.
	if h, err := e.eng.History(ctx, p.ID); err != nil || len(h) == 0 || !strings.Contains(h[len(h)-1].Cause, "resolved by alice") {
		t.Fatalf("history after the resolution: %+v, %v; want its last cause to name alice's resolution", h, err)
	}
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "again", By: "bob"}); !errors.Is(err, getpaid.ErrConflict) {
		t.Fatalf("resolving a final operation: %v", err)
	}
}

// overtaker is the dummy broker whose refund notification reaches getpaid
// before the answer to the refund is lost (a timeout): the notification
// made the refund, so the lost answer must not put it back in doubt.
type overtaker struct {
	*dummy.Broker
	eng    func() *engine.Engine
	notice atomic.Pointer[getpaid.Observation]
}

func (o *overtaker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	obs, err := o.Broker.Refund(ctx, req)
	if err != nil {
		return nil, err
	}
	o.notice.Store(obs)
	if _, err := o.eng().HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("notice")}); err != nil {
		return nil, err
	}
	return nil, &getpaid.BrokerError{Op: "test: refund", Retryable: true, Happened: true, Err: context.DeadlineExceeded}
}

func (o *overtaker) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	if string(req.Body) == "notice" {
		return o.notice.Load(), nil
	}
	return o.Broker.ParseCallback(ctx, req)
}

// A refund whose notification arrived before its answer was lost is
// answered as the notification said (succeeded), not in doubt.
func TestNotificationOvertakesLostAnswer(t *testing.T) {
	t.Parallel()
	var e *dummyEnv
	o := &overtaker{eng: func() *engine.Engine { return e.eng }}
	e = newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { o.Broker = d; return o })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("4.00"), IdempotencyKey: "k"})
	if err != nil || res.Operation.State != getpaid.OpSucceeded || res.Payment.Refunded != 400 || res.Payment.RefundAsked != 0 {
		t.Fatalf("refund: %+v, %v; want succeeded, 4.00 refunded once", res, err)
	}
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("4.00"), IdempotencyKey: "k"}); err != nil {
		t.Fatalf("retry with the key: %v", err)
	}
	if n, total := e.d.Refunds(p.ID); n != 1 || total != 400 {
		t.Fatalf("the broker made %d refunds of %d in all, want one of 400", n, total)
	}
}

// A refund's notification may overtake the answer to the refund call: the
// fact is recorded by whichever comes first, once, and the operation ends
// with it, whether the refund was done or refused.
func TestRefundAnswerAfterItsNotification(t *testing.T) {
	t.Parallel()
	for _, kind := range []getpaid.Kind{getpaid.KindRefunded, getpaid.KindRefundFailed} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			l := &lateAnswer{kind: kind}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { l.Broker = d; return l })
			l.eng = e.eng
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			res, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("4.00"), IdempotencyKey: "k"})
			wantOp, wantStatus, wantRefunded := getpaid.OpSucceeded, getpaid.StatusPartiallyRefunded, int64(400)
			if kind == getpaid.KindRefundFailed {
				// Refused is an error, as its retry with the key answers.
				wantOp, wantStatus, wantRefunded = getpaid.OpFailed, getpaid.StatusPaid, 0
				var oe *getpaid.OperationError
				if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationFailed) {
					t.Fatalf("refund: %v, want an *OperationError wrapping ErrOperationFailed", err)
				}
				res = &getpaid.ActionResult{Operation: oe.Op}
			} else if err != nil {
				t.Fatalf("refund: %v", err)
			}
			if res.Operation.State != wantOp {
				t.Fatalf("operation %s, want %s", res.Operation.State, wantOp)
			}
			q, _ := e.eng.Payment(ctx, p.ID)
			if q.Status != wantStatus || q.Refunded != wantRefunded || q.RefundAsked != 0 {
				t.Fatalf("payment %s refunded %d asked %d", q.Status, q.Refunded, q.RefundAsked)
			}
		})
	}
}

// lateAnswer is the dummy broker whose refund notification reaches getpaid
// before the refund call answers; the answer then reports the same fact,
// with the same event id.
type lateAnswer struct {
	*dummy.Broker
	eng  *engine.Engine
	kind getpaid.Kind
}

func (l *lateAnswer) fact(paymentID, opID string, minor int64) *getpaid.Observation {
	return &getpaid.Observation{PaymentID: paymentID, OperationID: opID, Kind: l.kind, Amount: getpaid.Money{Minor: minor, Currency: "PLN"},
		EventID: "refund:" + opID + ":" + string(l.kind), BrokerRef: "rf-" + opID, BrokerStatus: "late answer"}
}

func (l *lateAnswer) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	if rest, ok := strings.CutPrefix(string(req.Body), "refund-fact "); ok {
		var pay, op string
		var minor int64
		if _, err := fmt.Sscan(rest, &pay, &op, &minor); err != nil {
			return nil, fmt.Errorf("%w: %v", getpaid.ErrMalformedCallback, err)
		}
		return l.fact(pay, op, minor), nil
	}
	return l.Broker.ParseCallback(ctx, req)
}

func (l *lateAnswer) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	body := fmt.Sprintf("refund-fact %s %s %d", req.Payment.ID, req.OperationID, req.Amount.Minor)
	if res, err := l.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte(body)}); err != nil || res.Outcome != getpaid.OutcomeApplied {
		return nil, fmt.Errorf("the notification: %v, %v", res, err)
	}
	return l.fact(req.Payment.ID, req.OperationID, req.Amount.Minor), nil
}

// An idempotency key is at most 255 printable ASCII characters: a longer one,
// or one with a tab, a newline or a non-ASCII letter, is refused naming the
// key, and nothing reaches the broker or the store.
func TestIdempotencyKeyChecked(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	p := e.pay("o-keys", "100.00", "paid", getpaid.StatusPaid)
	tests := []struct{ name, key, reason string }{
		{"too long", strings.Repeat("k", engine.MaxIdempotencyKey+1), "at most 255 characters (got 256)"},
		{"tab", "a\tb", "printable ASCII only (byte 0x09 at 1)"},
		{"newline", "a\nb", "printable ASCII only"},
		{"DEL", "a\x7fb", "printable ASCII only"},
		{"not ASCII", "klucz-żółw", "printable ASCII only"},
		// 100 characters of 3 bytes: not ASCII, not "255 at most (got 100)".
		{"long, not ASCII", strings.Repeat("€", 100), "printable ASCII only (byte 0xe2 at 0)"},
	}
	for _, tt := range tests {
		_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("1.00"), IdempotencyKey: tt.key})
		var fe *getpaid.FieldError
		if !errors.As(err, &fe) || fe.Field != "Idempotency-Key" || !errors.Is(err, getpaid.ErrInvalidRequest) {
			t.Errorf("%s: %v, want a refusal naming Idempotency-Key", tt.name, err)
		} else if fe.Reason != tt.reason && !strings.HasPrefix(fe.Reason, tt.reason+" ") {
			t.Errorf("%s: refused saying %q, want %q", tt.name, fe.Reason, tt.reason)
		}
	}
	if n, _ := e.d.Refunds(p.ID); n != 0 {
		t.Fatalf("the broker was asked %d times", n)
	}
	if ops, _ := e.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID}); len(ops.Operations) != 0 {
		t.Fatalf("%d operations recorded, want none", len(ops.Operations))
	}
	key := strings.Repeat("k", engine.MaxIdempotencyKey-5) + " ~!#$"
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("1.00"), IdempotencyKey: key}); err != nil {
		t.Fatalf("a key of %d printable characters: %v", len(key), err)
	}
}

// A capture of an explicit amount whose first read was overtaken by another
// capture records, as its baseline, what was captured when it took its turn
// (under the payment's lock), not what the stale read saw: otherwise the
// reconciler takes the earlier capture for this one's and marks it
// succeeded though the broker never did it.
func TestCaptureBaselineAfterAStaleRead(t *testing.T) {
	t.Parallel()
	now := &clock{}
	st := &staleFirstRead{Store: memory.New()}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: st, Now: now.Now})
	ctx := context.Background()
	h := e.pay("o-base", "100.00", "pre_auth", getpaid.StatusPreAuth)
	before, err := st.Payment(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: h.ID, Amount: money("30.00"), IdempotencyKey: "c1"}); err != nil {
		t.Fatal(err)
	}
	st.stale.Store(before)
	_ = e.d.SetFault(dummy.FaultTimeoutBefore) // not done at the broker, the answer lost
	_, err = e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: h.ID, Amount: money("20.00"), IdempotencyKey: "c2"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || !errors.Is(err, getpaid.ErrOperationInDoubt) {
		t.Fatalf("capture with a lost answer: %v, want in doubt", err)
	}
	if oe.Op.Baseline != 3000 {
		t.Errorf("operation baseline %d, want 3000 (captured when it took its turn)", oe.Op.Baseline)
	}
	_ = e.d.SetFault(dummy.FaultNone)
	// Past SubmittingAfter: a capture not found at the broker is failed.
	op, q, _ := e.reconcileAfter(t, now, 3*time.Minute, oe.Op.ID, h.ID)
	if op.State != getpaid.OpFailed {
		t.Fatalf("the broker never captured the 20.00, yet the operation is %s (payment captured %d, locked %d)", op.State, q.Captured, q.Locked)
	}
}

// A release or a cancel takes no amount from the Go API either (the HTTP
// API refuses one too): it would be ignored, the whole hold given back.
func TestReleaseRefusesAnAmount(t *testing.T) {
	t.Parallel()
	e := newDummyEnv(t, dummy.Config{}, engine.Config{})
	ctx := context.Background()
	h := e.pay("o-rel", "100.00", "pre_auth", getpaid.StatusPreAuth)
	for _, act := range []func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error){e.eng.Release, e.eng.Cancel} {
		if _, err := act(ctx, getpaid.ActionRequest{PaymentID: h.ID, Amount: money("10.00")}); !errors.Is(err, getpaid.ErrInvalidRequest) {
			t.Errorf("with an amount: %v, want ErrInvalidRequest", err)
		}
	}
	if p, _ := e.eng.Payment(ctx, h.ID); p.Locked != 10000 || p.Status != getpaid.StatusPreAuth {
		t.Errorf("a refused release changed the payment: %s, locked %d", p.Status, p.Locked)
	}
}

// blindLookup is a broker that cannot tell what became of an operation.
type blindLookup struct{ *dummy.Broker }

func (blindLookup) FetchOperation(context.Context, *getpaid.OperationRequest) (*getpaid.Observation, error) {
	return nil, &getpaid.BrokerError{Op: "dummy: look up operation", Retryable: true, Status: 503, Err: errors.New("the lookup is down")}
}

// An operation in doubt that nobody can settle is flagged for an operator
// when FlagAfter has passed, not when the next backoff step happens to come
// (up to an hour later).
func TestInDoubtFlaggedOnTime(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Reconcile: engine.ReconcileConfig{
		Backoff: []time.Duration{10 * time.Second, time.Hour}, FlagAfter: 2 * time.Minute}},
		func(d *dummy.Broker) getpaid.Broker { return blindLookup{d} })
	ctx := context.Background()
	p := e.pay("o-flag", "10.00", "paid", getpaid.StatusPaid)
	_ = e.d.SetFault(dummy.FaultTimeoutBefore)
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) {
		t.Fatalf("refund with a lost answer: %v", err)
	}
	flagged := func() bool {
		op, err := e.eng.Operation(ctx, oe.Op.ID)
		if err != nil {
			t.Fatal(err)
		}
		return op.Flagged
	}
	for _, step := range []time.Duration{11 * time.Second, 50 * time.Second, 50 * time.Second, 15 * time.Second} {
		now.Advance(step) // a check at 11 s; the next falls due at 2 min, when it is to be flagged, not an hour on
		if _, err := e.eng.Reconcile(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	if !flagged() {
		op, _ := e.eng.Operation(ctx, oe.Op.ID)
		t.Fatalf("2 min 6 s after it began, the operation in doubt is not flagged (next check %s from now, %d checks)",
			op.NextCheckAt.Sub(now.Now()).Round(time.Second), op.Attempts)
	}
}

// reconcileAfter moves now on by d, runs the reconciler and returns the
// operation and its payment as they are then, and how many operations the
// reconciler resolved.
func (e *dummyEnv) reconcileAfter(t *testing.T, now *clock, d time.Duration, opID, paymentID string) (*getpaid.Operation, *getpaid.Payment, int) {
	t.Helper()
	now.Advance(d)
	ctx := context.Background()
	n, err := e.eng.Reconcile(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	op, err := e.eng.Operation(ctx, opID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.eng.Payment(ctx, paymentID)
	if err != nil {
		t.Fatal(err)
	}
	return op, p, n
}

// A process that made a refund at the broker but could not record the
// answer (its database was away) lives on: the operation another process
// takes up later says so, not that the process calling the broker stopped.
func TestUnrecordedAnswerTakenUpElsewhere(t *testing.T) {
	t.Parallel()
	now := &clock{}
	store := &failingStore{Store: memory.New()}
	a := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Store: store})
	ctx := context.Background()
	p := a.pay("o", "10.00", "paid", getpaid.StatusPaid)
	store.allow.Store(1) // the reservation is written, the broker's answer is not
	store.armed.Store(true)
	if _, err := a.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"}); err == nil {
		t.Fatal("a refund whose answer was not recorded succeeded")
	}
	store.armed.Store(false)
	page, err := store.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if err != nil || len(page.Operations) != 1 || page.Operations[0].State != getpaid.OpSubmitting {
		t.Fatalf("operations = %+v, %v; want the one refund, submitting", page, err)
	}
	// Another process: its dummy broker has no record of the refund.
	b := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now, Store: store})
	op, q, _ := b.reconcileAfter(t, now, 3*time.Minute, page.Operations[0].ID, p.ID)
	if op.State != getpaid.OpUnknown || q.RefundAsked != q.Amount.Minor {
		t.Fatalf("after reconciling: %s, asked %d; want unknown with the refund reserved", op.State, q.RefundAsked)
	}
	if !strings.Contains(op.Error, "not recorded") || !strings.Contains(op.Error, "database") {
		t.Fatalf("the operation's error %q does not say its answer was not recorded (a stopped process or the database)", op.Error)
	}
}

// cancelNotifier is the dummy broker whose notification of the ended hold
// or payment (PayU's CANCELED, which says only "failed") reaches getpaid
// before the answer to the release or cancellation that ended it.
type cancelNotifier struct {
	*dummy.Broker
	eng    func() *engine.Engine
	notice atomic.Pointer[getpaid.Observation]
}

func (c *cancelNotifier) notify(ctx context.Context, p *getpaid.Payment) error {
	c.notice.Store(&getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindFailed, EventID: "ended-" + p.ID, BrokerStatus: "CANCELED"})
	_, err := c.eng().HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("notice")})
	return err
}

func (c *cancelNotifier) Release(ctx context.Context, req *getpaid.ReleaseRequest) (*getpaid.Observation, error) {
	if err := c.notify(ctx, req.Payment); err != nil {
		return nil, err
	}
	return c.Broker.Release(ctx, req)
}

func (c *cancelNotifier) Cancel(ctx context.Context, req *getpaid.CancelRequest) (*getpaid.Observation, error) {
	if err := c.notify(ctx, req.Payment); err != nil {
		return nil, err
	}
	return c.Broker.Cancel(ctx, req)
}

func (c *cancelNotifier) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	if string(req.Body) == "notice" {
		return c.notice.Load(), nil
	}
	return c.Broker.ParseCallback(ctx, req)
}

// A hold's (or an unpaid payment's) end reported as a failure while
// getpaid's release (or cancellation) of it is under way is that operation
// done: the payment is cancelled, as the merchant asked, not failed.
func TestReleaseOvertakenByTheBrokersFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		op     string
		status getpaid.Status
	}{{"release", getpaid.StatusPreAuth}, {"cancel", getpaid.StatusPrepared}} {
		t.Run(tc.op, func(t *testing.T) {
			t.Parallel()
			var e *dummyEnv
			c := &cancelNotifier{eng: func() *engine.Engine { return e.eng }}
			e = newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { c.Broker = d; return c })
			ctx := context.Background()
			start := func(order string) *getpaid.Payment {
				if tc.status == getpaid.StatusPreAuth {
					return e.pay(order, "100.00", "pre_auth", tc.status)
				}
				p, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: order, Backend: "dummy",
					Amount: getpaid.MustParseMoney("100.00", "PLN"), ReturnURL: "https://shop.example/o"})
				if err != nil || p.Status != tc.status {
					t.Fatalf("pay: %+v, %v", p, err)
				}
				return p
			}
			p := start("o-" + tc.op)
			do := e.eng.Release
			if tc.op == "cancel" {
				do = e.eng.Cancel
			}
			res, err := do(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r"})
			if err != nil || res.Operation.State != getpaid.OpSucceeded {
				t.Fatalf("%s: %+v, %v", tc.op, res, err)
			}
			q, _ := e.eng.Payment(ctx, p.ID)
			if q.Status != getpaid.StatusCancelled || q.Locked != 0 || q.Captured != 0 {
				t.Fatalf("after the %s: %s locked %d captured %d, want cancelled with nothing held", tc.op, q.Status, q.Locked, q.Captured)
			}
			// Its history (and the event's cause) says what getpaid read
			// it as, as when the answer comes first: not "failed".
			hist, err := e.eng.History(ctx, p.ID)
			if err != nil || len(hist) == 0 || hist[len(hist)-1].Cause != "released (CANCELED)" {
				t.Fatalf("after the %s: history %+v, %v; want it to end with the cause \"released (CANCELED)\"", tc.op, hist, err)
			}
			// Without an operation under way the same fact is what it
			// says: failed.
			p2 := start("o-ended-" + tc.op)
			if err := c.notify(ctx, p2); err != nil {
				t.Fatal(err)
			}
			if q, _ := e.eng.Payment(ctx, p2.ID); q.Status != getpaid.StatusFailed {
				t.Fatalf("a payment the broker ended by itself: %s, want failed", q.Status)
			}
		})
	}
}
