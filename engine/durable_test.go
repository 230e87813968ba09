package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// durableStore is a store whose readers may see changes before they are
// durable (as SQLite's group commit lets them): it counts the waits, and
// can fail them as a failing disk does.
type durableStore struct {
	getpaid.Store
	waits atomic.Int32
	fail  atomic.Bool
}

func (d *durableStore) WaitDurable(ctx context.Context) error {
	d.waits.Add(1)
	if d.fail.Load() {
		return getpaid.ErrUnavailable
	}
	return nil
}

// A notification answered from what was read (a repeat, or one that changes
// nothing) is acknowledged only once what was read is durable; one the
// engine wrote is durable when its write is answered, and waits for nothing
// more. When the wait fails, the broker is not told the notification was
// taken (it sends it again).
func TestRepeatAcknowledgedOnlyWhenDurable(t *testing.T) {
	t.Parallel()
	st := &durableStore{Store: memory.New()}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: st})
	ctx := context.Background()
	p, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-dur", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	paid := dummy.Callback{PaymentID: p.ID, EventID: "ev-1", Status: dummy.StatusPaid, Amount: "10.00", Currency: "PLN"}
	res, err := e.callback(paid)
	if err != nil || res.Outcome != getpaid.OutcomeApplied || st.waits.Load() != 0 {
		t.Fatalf("first: %+v, %v, %d waits; want applied with no wait", res, err, st.waits.Load())
	}
	res, err = e.callback(paid)
	if err != nil || res.Outcome != getpaid.OutcomeDuplicate || st.waits.Load() != 1 {
		t.Fatalf("repeat: %+v, %v, %d waits; want a duplicate after one wait", res, err, st.waits.Load())
	}
	st.fail.Store(true)
	other := paid
	other.EventID = "ev-2" // the same fact under another id: no change
	if res, err := e.callback(other); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("no change while the disk fails: %+v, %v; want unavailable (the broker retries)", res, err)
	}
}

// A money operation asked again with its idempotency key is answered from
// the operation read back: only once that is durable.
func TestKeyedRepeatAnsweredOnlyWhenDurable(t *testing.T) {
	t.Parallel()
	st := &durableStore{Store: memory.New()}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: st})
	ctx := context.Background()
	p := e.pay("o-dur-key", "10.00", "paid", getpaid.StatusPaid)
	req := getpaid.ActionRequest{PaymentID: p.ID, Amount: ptrMoney("4.00"), IdempotencyKey: "k"}
	if _, err := e.eng.Refund(ctx, req); err != nil {
		t.Fatal(err)
	}
	before := st.waits.Load()
	if res, err := e.eng.Refund(ctx, req); err != nil || res.Operation == nil || st.waits.Load() != before+1 {
		t.Fatalf("the keyed repeat: %+v, %v, %d waits; want its answer after one wait", res, err, st.waits.Load()-before)
	}
	st.fail.Store(true)
	if _, err := e.eng.Refund(ctx, req); !errors.Is(err, getpaid.ErrUnavailable) {
		t.Fatalf("the keyed repeat while the disk fails: %v, want unavailable", err)
	}
}

func ptrMoney(s string) *getpaid.Money {
	m := getpaid.MustParseMoney(s, "PLN")
	return &m
}

// A create sent again with its idempotency key is answered from the
// payment read back (the first request's, which a reader may see before it
// is durable): only once that is durable. The buyer is sent to its
// redirect; a power loss must not take the payment back from under it.
// When the wait fails, the retry is refused (the client retries).
func TestRepeatedCreateAnsweredOnlyWhenDurable(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Pay", "Create"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := &durableStore{Store: memory.New()}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: st})
			ctx := context.Background()
			do := e.eng.Pay
			if name == "Create" {
				do = e.eng.Create
			}
			req := getpaid.PayRequest{OrderID: "o-dur-create", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN"), IdempotencyKey: "k-create"}
			first, err := do(ctx, req)
			if err != nil || st.waits.Load() != 0 {
				t.Fatalf("first: %v, %d waits; want created with no wait (its own write)", err, st.waits.Load())
			}
			if again, err := do(ctx, req); err != nil || again.ID != first.ID || st.waits.Load() != 1 {
				t.Fatalf("the keyed repeat: %v, %v, %d waits; want payment %s after one wait", again, err, st.waits.Load(), first.ID)
			}
			st.fail.Store(true)
			if again, err := do(ctx, req); again != nil || !errors.Is(err, getpaid.ErrUnavailable) {
				t.Fatalf("the keyed repeat while the disk fails: %v, %v; want unavailable and no payment", again, err)
			}
		})
	}
}

// Under the one-live-payment policy, a second create for an order gets
// the order's live payment beside getpaid.ErrLivePaymentExists, read back,
// for the shop to send the buyer on to: only once it is durable. When the
// wait fails, the payment is not given (the shop retries).
func TestLivePaymentGivenOnlyWhenDurable(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Pay", "Create"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := &durableStore{Store: memory.New()}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: st, OneLivePaymentPerOrder: true})
			ctx := context.Background()
			do := e.eng.Pay
			if name == "Create" {
				do = e.eng.Create
			}
			req := getpaid.PayRequest{OrderID: "o-dur-live", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")}
			first, err := do(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if live, err := do(ctx, req); !errors.Is(err, getpaid.ErrLivePaymentExists) || live == nil || live.ID != first.ID || st.waits.Load() != 1 {
				t.Fatalf("second create: %v, %v, %d waits; want payment %s beside ErrLivePaymentExists after one wait", live, err, st.waits.Load(), first.ID)
			}
			st.fail.Store(true)
			if live, err := do(ctx, req); live != nil || !errors.Is(err, getpaid.ErrUnavailable) {
				t.Fatalf("second create while the disk fails: %v, %v; want unavailable and no payment", live, err)
			}
		})
	}
}
