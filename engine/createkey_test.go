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
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// keyedRequest is a payment request with an idempotency key.
func keyedRequest(order, key string) getpaid.PayRequest {
	return getpaid.PayRequest{OrderID: order, Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Description: "Order " + order, ReturnURL: "https://shop.example/o/" + order,
		Buyer: getpaid.Buyer{Email: "buyer@example.com"}, ClientIP: "203.0.113.7", IdempotencyKey: key}
}

// orderPayments are the payments stored for order.
func orderPayments(t *testing.T, s getpaid.Store, order string) []*getpaid.Payment {
	t.Helper()
	page, err := s.Payments(context.Background(), getpaid.PaymentFilter{OrderID: order})
	if err != nil {
		t.Fatal(err)
	}
	return page.Payments
}

// A create whose answer was lost (a timeout, a killed process after the
// commit) is retried with the same idempotency key: the retry gets the
// payment the first request made, in its state now, and nothing new is
// registered at the broker or stored. Pay and Create alike; a retry may
// come from another address. Without a key every request is a new payment.
func TestRepeatedCreateWithKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		key       string
		payments  int
		prepares  int64
		samePayID bool
	}{
		{"Pay with a key", "k-1", 1, 1, true},
		{"Pay without a key", "", 2, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb, store := &fakeBroker{}, memory.New()
			e := newEngine(t, fb, store)
			ctx := context.Background()
			req := keyedRequest("o-1", tc.key)
			first, err := e.Pay(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			req.ClientIP = "198.51.100.9"
			again, err := e.Pay(ctx, req)
			if err != nil {
				t.Fatalf("repeated Pay: %v", err)
			}
			if (again.ID == first.ID) != tc.samePayID {
				t.Errorf("repeated Pay returned %s, first %s; same wanted: %v", again.ID, first.ID, tc.samePayID)
			}
			if n := len(orderPayments(t, store, "o-1")); n != tc.payments {
				t.Errorf("%d payments stored for the order, want %d", n, tc.payments)
			}
			if n := fb.prepares.Load(); n != tc.prepares {
				t.Errorf("the broker registered %d payments, want %d", n, tc.prepares)
			}
			if tc.samePayID && (again.Status != getpaid.StatusPrepared || again.Redirect == nil || again.CreateKey != tc.key) {
				t.Errorf("repeated Pay returned %+v, want the prepared payment with its redirect and key", again)
			}
		})
	}
	t.Run("Create with a key", func(t *testing.T) {
		t.Parallel()
		store := memory.New()
		e := newEngine(t, &fakeBroker{}, store)
		ctx := context.Background()
		first, err := e.Create(ctx, keyedRequest("o-2", "k-2"))
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.Create(ctx, keyedRequest("o-2", "k-2"))
		if err != nil || again.ID != first.ID {
			t.Fatalf("repeated Create = %v, %v; want payment %s", again, err, first.ID)
		}
		if n := len(orderPayments(t, store, "o-2")); n != 1 {
			t.Errorf("%d payments stored for the order, want 1", n)
		}
	})
}

// A key names one request: used again for another order, amount, backend,
// description, buyer or return URL it is refused, and nothing is
// registered at the broker or stored.
func TestCreateKeyReusedForAnotherRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*getpaid.PayRequest)
	}{
		{"another order", func(r *getpaid.PayRequest) { r.OrderID = "o-other" }},
		{"another amount", func(r *getpaid.PayRequest) { r.Amount = getpaid.MustParseMoney("10.01", "PLN") }},
		{"another description", func(r *getpaid.PayRequest) { r.Description = "changed" }},
		{"another buyer", func(r *getpaid.PayRequest) { r.Buyer.Email = "other@example.com" }},
		{"another return URL", func(r *getpaid.PayRequest) { r.ReturnURL = "https://shop.example/other" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb, store := &fakeBroker{}, memory.New()
			e := newEngine(t, fb, store)
			ctx := context.Background()
			first, err := e.Pay(ctx, keyedRequest("o-1", "k"))
			if err != nil {
				t.Fatal(err)
			}
			req := keyedRequest("o-1", "k")
			tc.change(&req)
			p, err := e.Pay(ctx, req)
			var fe *getpaid.FieldError
			if p != nil || !errors.As(err, &fe) || fe.Field != "Idempotency-Key" || !errors.Is(err, getpaid.ErrInvalidRequest) {
				t.Fatalf("Pay = %v, %v; want a FieldError on Idempotency-Key", p, err)
			}
			if want := "engine: create payment: Idempotency-Key: "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q, want it to begin %q", err, want)
			}
			if want := "already used for another request (payment " + first.ID + " for order o-1)"; fe.Reason != want {
				t.Errorf("reason %q, want %q", fe.Reason, want)
			}
			if n := fb.prepares.Load(); n != 1 {
				t.Errorf("the broker registered %d payments, want 1", n)
			}
			if page, _ := store.Payments(ctx, getpaid.PaymentFilter{}); len(page.Payments) != 1 {
				t.Errorf("%d payments stored, want 1", len(page.Payments))
			}
		})
	}
}

// slowBroker is fakeBroker taking a while to register a payment, as a
// real broker does: long enough for a client's retry to arrive meanwhile.
type slowBroker struct {
	*fakeBroker
	asked atomic.Int64 // Prepare calls begun
	// hold, when not nil, keeps every Prepare until it is closed, instead
	// of the 50 ms a Prepare takes otherwise.
	hold chan struct{}
}

func (b *slowBroker) Prepare(ctx context.Context, r *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	b.asked.Add(1)
	if b.hold != nil {
		<-b.hold
	} else {
		time.Sleep(50 * time.Millisecond)
	}
	return b.fakeBroker.Prepare(ctx, r)
}

// Requests with one key at once on one engine (a client retrying while
// its first try waits for the broker): every one gets the same payment,
// one is stored, none is refused for the order's live payment, and the
// broker registers it once: the retries wait for the first and answer its
// payment. Each used to register its own at the broker (one stored, the
// others left there unused), where the README promised nothing new
// registered. (Requests on several instances race in the store instead:
// storetest CreateKeyOnce, cmd/getpaid TestScaleCreateKey.)
func TestConcurrentCreatesWithOneKey(t *testing.T) {
	t.Parallel()
	for _, oneLive := range []bool{false, true} {
		for _, slow := range []bool{false, true} {
			t.Run(fmt.Sprintf("one live %v, slow broker %v", oneLive, slow), func(t *testing.T) {
				t.Parallel()
				fb, store := &fakeBroker{}, memory.New()
				var b getpaid.Broker = fb
				if slow {
					b = &slowBroker{fakeBroker: fb}
				}
				e := newEngineConfig(t, b, engine.Config{Store: store, OneLivePaymentPerOrder: oneLive})
				const n = 8
				var (
					wg  sync.WaitGroup
					mu  sync.Mutex
					got = map[string]int{}
				)
				for range n {
					wg.Go(func() {
						p, err := e.Pay(context.Background(), keyedRequest("o-c", "k-c"))
						mu.Lock()
						defer mu.Unlock()
						if err != nil {
							t.Errorf("Pay: %v", err)
							return
						}
						got[p.ID]++
					})
				}
				wg.Wait()
				if len(got) != 1 {
					t.Errorf("payments returned %v, want one for all %d requests", got, n)
				}
				if ps := orderPayments(t, store, "o-c"); len(ps) != 1 {
					t.Errorf("%d payments stored for the order, want 1", len(ps))
				}
				if k := fb.prepares.Load(); k != 1 {
					t.Errorf("the broker registered the payment %d times for %d requests with one key, want once", k, n)
				}
			})
		}
	}
}

// A request waiting for another with its key gives up when its context
// ends, and the first goes on.
func TestCreateWithKeyWaitingGivesUp(t *testing.T) {
	t.Parallel()
	fb, store := &fakeBroker{}, memory.New()
	// The first stays at the broker until the retry has given up: a
	// Prepare of a fixed 50 ms ended first under a loaded -race run, and
	// the retry found its payment (TestCreateWithKeyWaitingGivesUp failed).
	sb := &slowBroker{fakeBroker: fb, hold: make(chan struct{})}
	e := newEngineConfig(t, sb, engine.Config{Store: store})
	first := make(chan error, 1)
	go func() {
		_, err := e.Pay(context.Background(), keyedRequest("o-wait", "k-wait"))
		first <- err
	}()
	for sb.asked.Load() == 0 { // the first is at the broker
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if p, err := e.Pay(ctx, keyedRequest("o-wait", "k-wait")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a retry out of time while the first runs: %v, %v; want the deadline", p, err)
	}
	close(sb.hold)
	if err := <-first; err != nil {
		t.Fatalf("first Pay: %v", err)
	}
	if p, err := e.Pay(context.Background(), keyedRequest("o-wait", "k-wait")); err != nil || p.Status != getpaid.StatusPrepared {
		t.Fatalf("a retry after the first: %v, %v", p, err)
	}
	if k := fb.prepares.Load(); k != 1 {
		t.Errorf("the broker registered the payment %d times, want once", k)
	}
}
