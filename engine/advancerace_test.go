package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// advancing is the dummy broker reporting a payment paid as an advance of
// 4.00 PLN: money the broker holds that does not match the payment, for an
// operator to accept or reject.
type advancing struct{ *dummy.Broker }

func (a *advancing) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	o, err := a.Broker.ParseCallback(ctx, req)
	if err != nil || o.Kind != getpaid.KindCaptured {
		return o, err
	}
	o.Kind, o.Amount, o.EventID = getpaid.KindAdvance, getpaid.MustParseMoney("4.00", "PLN"), "advance:"+o.EventID
	return o, nil
}

// advanced is a payment of 10.00 PLN on e's advancing broker, paid with an
// advance of 4.00 PLN for an operator to decide.
func (e *dummyEnv) advanced() *getpaid.Payment {
	e.t.Helper()
	p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN"), ReturnURL: "https://shop.example/o"})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.callback(dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"}); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// racedStore runs afterPayment once, right after a payment is read, and
// afterOperation once, right after an operation is read: another operator's
// decision landing between this one's read and its write.
type racedStore struct {
	getpaid.Store
	mu                           sync.Mutex
	afterPayment, afterOperation func()
}

// take returns *f and clears it, so that it runs once.
func (s *racedStore) take(f *func()) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := *f
	*f = nil
	return g
}

func (s *racedStore) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	p, err := s.Store.Payment(ctx, id)
	if f := s.take(&s.afterPayment); f != nil {
		f()
	}
	return p, err
}

func (s *racedStore) Operation(ctx context.Context, id string) (*getpaid.Operation, error) {
	op, err := s.Store.Operation(ctx, id)
	if f := s.take(&s.afterOperation); f != nil {
		f()
	}
	return op, err
}

// A reject of an advance that another operator decided between its read of
// the payment and its write was answered 200 with the payment as the other
// decision left it (partially_paid, the advance accepted and captured):
// the failed observation it writes changes nothing on a payment no longer
// holding an advance, and that was taken for success. The operator who
// rejected is told it was not done, as a reject after the decision is.
func TestRejectAdvanceDecidedMeanwhile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		meanwhile  func(context.Context, *engine.Engine, string) error
		wantStatus getpaid.Status
		wantCapt   int64
	}{
		{"accepted", func(ctx context.Context, eng *engine.Engine, id string) error {
			_, err := eng.AcceptAdvance(ctx, getpaid.ActionRequest{PaymentID: id})
			return err
		}, getpaid.StatusPartiallyPaid, 400},
		{"rejected", func(ctx context.Context, eng *engine.Engine, id string) error {
			_, err := eng.RejectAdvance(ctx, getpaid.ActionRequest{PaymentID: id})
			return err
		}, getpaid.StatusFailed, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := &racedStore{Store: memory.New()}
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: store}, func(d *dummy.Broker) getpaid.Broker { return &advancing{d} })
			ctx := context.Background()
			p := e.advanced()
			if q, err := e.eng.Payment(ctx, p.ID); err != nil || q.Advance != 400 || q.Status != getpaid.StatusChargeStarted {
				t.Fatalf("after the advance: %+v, %v", q, err)
			}
			// The other operator works on another engine (another process
			// on the database): decisions in one engine take turns.
			other := e.another(time.Now)
			var otherErr error
			store.mu.Lock()
			store.afterPayment = func() { otherErr = tc.meanwhile(ctx, other, p.ID) }
			store.mu.Unlock()
			_, err := e.eng.RejectAdvance(ctx, getpaid.ActionRequest{PaymentID: p.ID})
			if otherErr != nil {
				t.Fatalf("the other decision: %v", otherErr)
			}
			if !errors.Is(err, getpaid.ErrForbiddenTransition) {
				t.Fatalf("reject after the advance was %s meanwhile: %v; want it refused (no advance to reject)", tc.name, err)
			}
			if q, err := e.eng.Payment(ctx, p.ID); err != nil || q.Status != tc.wantStatus || q.Captured != tc.wantCapt || q.Advance != 0 {
				t.Fatalf("payment: %+v, %v; want %s with %d captured", q, err, tc.wantStatus, tc.wantCapt)
			}
		})
	}
}

// blockingConfirm is the advancing broker confirming an accepted advance
// at the broker (as Przelewy24's verify) only once release is closed;
// confirming is closed when the confirmation has started.
type blockingConfirm struct {
	*advancing
	confirming, release chan struct{}
}

func (b *blockingConfirm) ConfirmCallback(ctx context.Context, req *getpaid.ConfirmRequest) error {
	if !strings.HasPrefix(req.Observation.EventID, "advance-accepted:") {
		return nil // the notification of the advance
	}
	close(b.confirming)
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Two operators deciding one advance at once, one accepting and one
// rejecting: the reject landed while the acceptance was at the broker, the
// payment failed ("left to be returned"), then the confirmed money was
// recorded captured after it, and both were told it was done (found by
// review). In one engine the second decision now waits for the first and
// finds the advance decided.
func TestRejectWhileAcceptAtTheBroker(t *testing.T) {
	t.Parallel()
	var bc *blockingConfirm
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker {
		bc = &blockingConfirm{advancing: &advancing{d}, confirming: make(chan struct{}), release: make(chan struct{})}
		return bc
	})
	ctx := context.Background()
	p := e.advanced()
	accepted := make(chan error, 1)
	go func() {
		_, err := e.eng.AcceptAdvance(ctx, getpaid.ActionRequest{PaymentID: p.ID})
		accepted <- err
	}()
	<-bc.confirming
	rejected := make(chan error, 1)
	go func() {
		_, err := e.eng.RejectAdvance(ctx, getpaid.ActionRequest{PaymentID: p.ID})
		rejected <- err
	}()
	// Without turns the reject is done before the broker answers the
	// acceptance; with them it waits (this wait only gives it the time).
	select {
	case err := <-rejected:
		rejected <- err
	case <-time.After(200 * time.Millisecond):
	}
	close(bc.release)
	if err := <-accepted; err != nil {
		t.Fatalf("accept: %v", err)
	}
	if err := <-rejected; !errors.Is(err, getpaid.ErrForbiddenTransition) {
		t.Fatalf("reject sent while the acceptance was at the broker: %v; want it refused (decided meanwhile)", err)
	}
	q, err := e.eng.Payment(ctx, p.ID)
	if err != nil || q.Status != getpaid.StatusPartiallyPaid || q.Captured != 400 || q.Advance != 0 {
		t.Fatalf("payment: %+v, %v; want partially_paid with the advance captured", q, err)
	}
	h, err := e.eng.History(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range h {
		if tr.To == getpaid.StatusFailed {
			t.Fatalf("history %+v: the payment failed on the way", h)
		}
	}
}
