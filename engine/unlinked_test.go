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

// payuLike is a broker whose refunds behave as PayU's: the answer names the
// refund by the broker's id (refundId); the refund list links that id with
// getpaid's operation id (extRefundId); the notification of a refund's end
// carries only the broker's id, and the event id "refund:<id>:<status>"
// that the list gives too. Refunds of the payment number rf1, rf2, ...;
// the first one's answer is lost after the broker took it.
type payuLike struct {
	*dummy.Broker
	mu      sync.Mutex
	refunds map[string]string // operation id -> refund id
	amounts map[string]int64  // refund id -> amount
	status  map[string]string // refund id -> PENDING, FINALIZED, CANCELED
	down    bool              // lookups fail
	nolook  bool              // lookups not supported (no API credentials)
}

func (b *payuLike) fact(paymentID, ref string) *getpaid.Observation {
	kind := map[string]getpaid.Kind{"PENDING": getpaid.KindRefundStarted, "FINALIZED": getpaid.KindRefunded, "CANCELED": getpaid.KindRefundFailed}[b.status[ref]]
	return &getpaid.Observation{PaymentID: paymentID, Kind: kind, Amount: getpaid.Money{Minor: b.amounts[ref], Currency: "PLN"},
		EventID: "refund:" + ref + ":" + b.status[ref], BrokerRef: ref, BrokerStatus: "refund " + b.status[ref]}
}

func (b *payuLike) Refund(_ context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ref := fmt.Sprintf("rf%d", len(b.refunds)+1)
	b.refunds[req.OperationID], b.amounts[ref], b.status[ref] = ref, req.Amount.Minor, "PENDING"
	if ref == "rf1" {
		return nil, &getpaid.BrokerError{Op: "test: refund", Retryable: true, Happened: true, Err: context.DeadlineExceeded}
	}
	obs := b.fact(req.Payment.ID, ref)
	obs.OperationID = req.OperationID
	return obs, nil
}

func (b *payuLike) FetchOperation(_ context.Context, req *getpaid.OperationRequest) (*getpaid.Observation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		return nil, &getpaid.BrokerError{Op: "test: look up", Retryable: true, Err: errors.New("503")}
	}
	if b.nolook {
		return nil, fmt.Errorf("test: look up: %w: no API credentials", getpaid.ErrNotSupported)
	}
	ref, ok := b.refunds[req.Operation.ID]
	if !ok {
		return nil, fmt.Errorf("test: %w", getpaid.ErrNotFound)
	}
	obs := b.fact(req.Payment.ID, ref)
	obs.OperationID = req.Operation.ID
	return obs, nil
}

// ParseCallback reads "refund <payment> <refund id> <status>": the broker
// ends a refund and notifies it.
func (b *payuLike) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	rest, ok := strings.CutPrefix(string(req.Body), "refund ")
	if !ok {
		return b.Broker.ParseCallback(ctx, req)
	}
	var pay, ref, status string
	if _, err := fmt.Sscan(rest, &pay, &ref, &status); err != nil {
		return nil, fmt.Errorf("%w: %v", getpaid.ErrMalformedCallback, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status[ref] = status
	return b.fact(pay, ref), nil
}

// twoRefunds asks, of payment id (10.00 paid), a refund of 3.00 whose
// answer the broker loses (rf1, in doubt) and one of 5.00 it takes (rf2,
// pending): 8.00 reserved. It returns the first's operation.
func twoRefunds(t *testing.T, eng *engine.Engine, id string) *getpaid.Operation {
	t.Helper()
	ctx := context.Background()
	_, err := eng.Refund(ctx, getpaid.ActionRequest{PaymentID: id, Amount: money("3.00"), IdempotencyKey: "a"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund a: %v, want it in doubt", err)
	}
	res, err := eng.Refund(ctx, getpaid.ActionRequest{PaymentID: id, Amount: money("5.00"), IdempotencyKey: "b"})
	if err != nil || res.Operation.State != getpaid.OpPending || res.Payment.RefundAsked != 800 {
		t.Fatalf("refund b: %+v, %v; want it pending with 8.00 reserved", res, err)
	}
	return oe.Op
}

// An operator who resolved a refund in doubt as done, and the broker's late
// notification of that refund, which names it only by the broker's id, count
// the refund once: the notification is linked to its operation by the
// broker's lookup, not recorded as a second refund.
func TestUnlinkedRefundAfterOperatorCountedOnce(t *testing.T) {
	t.Parallel()
	b := &payuLike{refunds: map[string]string{}, amounts: map[string]int64{}, status: map[string]string{}}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { b.Broker = d; return b })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("3.00"), IdempotencyKey: "a"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund a: %v, want it in doubt", err)
	}
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the notification, and its repeat
		res, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " rf1 FINALIZED")})
		if err != nil {
			t.Fatalf("notification: %+v, %v", res, err)
		}
	}
	q, _ := e.eng.Payment(ctx, p.ID)
	if q.Refunded != 300 || q.Status != getpaid.StatusPartiallyRefunded {
		t.Fatalf("payment %s with %d refunded, want partially_refunded with 300: the refund counted once", q.Status, q.Refunded)
	}
}

// A refund in doubt whose notification came while its lookup was down is
// counted by that notification, which takes its reservation. An operator who
// then sees it in the broker's panel and resolves it as done must not count
// it a second time: the decision is refused (getpaid.ErrConflict), saying
// why, and nothing changes; resolving it as failed stays possible.
func TestResolveSucceededAfterUnlinkedRefundCountedOnce(t *testing.T) {
	t.Parallel()
	b := &payuLike{refunds: map[string]string{}, amounts: map[string]int64{}, status: map[string]string{}}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { b.Broker = d; return b })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("3.00"), IdempotencyKey: "a"})
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund a: %v, want it in doubt", err)
	}
	b.mu.Lock()
	b.down = true
	b.mu.Unlock()
	if res, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " rf1 FINALIZED")}); err != nil {
		t.Fatalf("notification: %+v, %v", res, err)
	}
	before, _ := e.eng.Payment(ctx, p.ID)
	if before.Refunded != 300 || before.RefundAsked != 0 {
		t.Fatalf("after the notification: refunded %d, reserved %d; want 300 and 0", before.Refunded, before.RefundAsked)
	}
	_, err = e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "ops"})
	if !errors.Is(err, getpaid.ErrConflict) || !strings.Contains(err.Error(), "counted") {
		t.Fatalf("resolve as succeeded: %v; want it refused as a conflict saying the refund may be counted already", err)
	}
	q, _ := e.eng.Payment(ctx, p.ID)
	if op, _ := e.eng.Operation(ctx, oe.Op.ID); q.Refunded != 300 || q.Version != before.Version || op.State != getpaid.OpUnknown {
		t.Fatalf("after the refusal: refunded %d (version %d, was %d), operation %s; want nothing changed", q.Refunded, q.Version, before.Version, op.State)
	}
	res, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpFailed, Note: "counted by its notification", By: "ops"})
	if err != nil || res.Payment.Refunded != 300 || res.Payment.RefundAsked != 0 {
		t.Fatalf("resolve as failed: %+v, %v; want refunded 300, nothing reserved", res, err)
	}
}

// With another refund still at the broker, resolving the counted one as
// failed gives back no reservation of the other's: the broker is never
// asked for more than was paid.
func TestResolveFailedKeepsAnotherRefundsReservation(t *testing.T) {
	t.Parallel()
	b := &payuLike{refunds: map[string]string{}, amounts: map[string]int64{}, status: map[string]string{}}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { b.Broker = d; return b })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	a := twoRefunds(t, e.eng, p.ID)
	b.mu.Lock()
	b.down = true
	b.mu.Unlock()
	if res, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " rf1 FINALIZED")}); err != nil {
		t.Fatalf("notification: %+v, %v", res, err)
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Refunded != 300 || q.RefundAsked != 500 {
		t.Fatalf("after the notification: refunded %d, reserved %d; want 300 and b's 500", q.Refunded, q.RefundAsked)
	}
	if _, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: a.ID, As: getpaid.OpSucceeded, Note: "seen", By: "ops"}); !errors.Is(err, getpaid.ErrConflict) {
		t.Fatalf("resolve a as succeeded: %v; want a conflict", err)
	}
	res, err := e.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: a.ID, As: getpaid.OpFailed, Note: "counted by its notification", By: "ops"})
	if err != nil || res.Payment.Refunded != 300 || res.Payment.RefundAsked != 500 || res.Payment.Status != getpaid.StatusRefundStarted {
		t.Fatalf("resolve a as failed: %+v, %v; want refunded 300 and b's 500 still reserved", res.Payment, err)
	}
	if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money("2.01"), IdempotencyKey: "c"}); !errors.Is(err, getpaid.ErrInvalidAmount) {
		t.Fatalf("a refund of 2.01 with 3.00 refunded and 5.00 at the broker of 10.00: %v, want it refused", err)
	}
}

// opsHookStore runs hook (once) when the engine next lists operations, to
// change the payment between the engine's reads.
type opsHookStore struct {
	*memory.Store
	hook atomic.Pointer[func()]
}

func (s *opsHookStore) Operations(ctx context.Context, f getpaid.OperationFilter) (*getpaid.OperationPage, error) {
	if h := s.hook.Swap(nil); h != nil {
		(*h)()
	}
	return s.Store.Operations(ctx, f)
}

// A refund resolution weighs the reservations against the refunds under way
// as read with the payment: when another refund ends between those reads, the
// sum is stale (it would keep 3.00 reserved for a refund that has ended, for
// ever), and the decision is refused as a conflict; made again, it stands.
func TestResolveOnAStaleReadIsAskedAgain(t *testing.T) {
	t.Parallel()
	b := &payuLike{refunds: map[string]string{}, amounts: map[string]int64{}, status: map[string]string{}}
	store := &opsHookStore{Store: memory.New()}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: store}, func(d *dummy.Broker) getpaid.Broker { b.Broker = d; return b })
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	a := twoRefunds(t, e.eng, p.ID)
	// b ends at the broker between the resolution's reads.
	end := func() {
		if _, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " rf2 FINALIZED")}); err != nil {
			t.Error(err)
		}
	}
	store.hook.Store(&end)
	req := getpaid.ResolveRequest{OperationID: a.ID, As: getpaid.OpFailed, Note: "not in the panel", By: "ops"}
	if _, err := e.eng.ResolveOperation(ctx, req); !errors.Is(err, getpaid.ErrConflict) {
		t.Fatalf("resolve on a stale read: %v; want a conflict", err)
	}
	res, err := e.eng.ResolveOperation(ctx, req)
	if err != nil || res.Payment.Refunded != 500 || res.Payment.RefundAsked != 0 || res.Operation.State != getpaid.OpFailed {
		t.Fatalf("resolved again: %+v, %v; want 5.00 refunded and nothing left reserved", res, err)
	}
}

// A refund in doubt that the broker rejected, or never made, gives its own
// reservation back once, never another refund's still at the broker: not
// when the broker's notification of its rejection names it only by the
// broker's id, and not when a refund made in the broker's panel, notified
// while the lookup was down, took a reservation. When the reconciler then
// finds how it ended, what stays reserved covers the refund at the broker,
// so no more than was paid can be asked of it.
func TestReconcilerFailedRefundKeepsAnotherRefundsReservation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		neverMet bool   // the broker never got refund a
		notified string // notified while the lookup is down: "<refund id> <status>"
		refunded int64  // refunded after it (and after reconciling)
		tooMuch  string // a refund then refused
	}{
		{name: "rejected, notified unlinked", notified: "rf1 CANCELED", tooMuch: "5.01"},
		{name: "never made, a panel refund notified unlinked", neverMet: true, notified: "rf9 FINALIZED", refunded: 300, tooMuch: "2.01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			b := &payuLike{refunds: map[string]string{}, amounts: map[string]int64{}, status: map[string]string{}}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Now: now.Now}, func(d *dummy.Broker) getpaid.Broker { b.Broker = d; return b })
			ctx := context.Background()
			p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
			a := twoRefunds(t, e.eng, p.ID)
			b.mu.Lock()
			if tc.neverMet {
				delete(b.refunds, a.ID)
			}
			b.amounts["rf9"], b.status["rf9"] = 300, "PENDING"
			b.down = true
			b.mu.Unlock()
			if res, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Method: "POST", Body: []byte("refund " + p.ID + " " + tc.notified)}); err != nil {
				t.Fatalf("notification: %+v, %v", res, err)
			}
			if q, _ := e.eng.Payment(ctx, p.ID); q.Refunded != tc.refunded || q.RefundAsked != 500 {
				t.Fatalf("after the notification: refunded %d, reserved %d; want %d and 500", q.Refunded, q.RefundAsked, tc.refunded)
			}
			b.mu.Lock()
			b.down = false
			b.mu.Unlock()
			now.Advance(3 * time.Minute)
			if _, err := e.eng.Reconcile(ctx, 10); err != nil {
				t.Fatal(err)
			}
			op, _ := e.eng.Operation(ctx, a.ID)
			q, _ := e.eng.Payment(ctx, p.ID)
			if op.State != getpaid.OpFailed || q.Refunded != tc.refunded || q.RefundAsked != 500 || q.Status != getpaid.StatusRefundStarted {
				t.Fatalf("after reconciling: operation %s, payment %s with %d refunded and %d reserved; want a failed, %d refunded and b's 500 still reserved",
					op.State, q.Status, q.Refunded, q.RefundAsked, tc.refunded)
			}
			if _, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: money(tc.tooMuch), IdempotencyKey: "c"}); !errors.Is(err, getpaid.ErrInvalidAmount) {
				t.Fatalf("a refund of %s with %d refunded and 5.00 at the broker of 10.00: %v, want it refused", tc.tooMuch, tc.refunded, err)
			}
		})
	}
}
