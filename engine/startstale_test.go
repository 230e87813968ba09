package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// staleReadStore is a store whose next Payment read, once armed, is made
// and then answered only when released: a read that took its snapshot just
// before another request's commit and came back after it (a busy database).
type staleReadStore struct {
	getpaid.Store
	armed   atomic.Pointer[staleRead]
	release chan struct{}
}

type staleRead struct{ read chan struct{} }

func (s *staleReadStore) Payment(ctx context.Context, id string) (*getpaid.Payment, error) {
	p, err := s.Store.Payment(ctx, id)
	if r := s.armed.Swap(nil); r != nil {
		close(r.read)
		<-s.release
	}
	return p, err
}

// A Start whose read of the payment was made while another Start of it
// was committing (a double click in library mode, the second request's
// read slower than the first's broker call) is refused as a Start of a
// payment no longer new, without a second registration at the broker:
// PayU would refuse it (extOrderId taken) and answer "create a new
// payment" for a payment that was started, Tpay would register a
// transaction nobody uses. Django-getpaid's prepare makes no broker call
// unless the payment is new.
func TestStartWithStaleReadAsksTheBrokerOnce(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	st := &staleReadStore{Store: memory.New(), release: make(chan struct{})}
	e := newEngine(t, fb, st)
	ctx := context.Background()
	p, err := e.Create(ctx, getpaid.PayRequest{OrderID: "o-stale", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	r := &staleRead{read: make(chan struct{})}
	st.armed.Store(r)
	second := make(chan error, 1)
	go func() {
		_, err := e.Start(ctx, p.ID, "")
		second <- err
	}()
	<-r.read // the second Start has read the payment new
	q, err := e.Start(ctx, p.ID, "")
	if err != nil || q.Status != getpaid.StatusPrepared {
		t.Fatalf("first start: %v, %v", q, err)
	}
	close(st.release)
	err = <-second
	var te *getpaid.TransitionError
	if !errors.As(err, &te) {
		t.Errorf("second start: %v, want a TransitionError (the payment is prepared)", err)
	}
	if n := fb.prepares.Load(); n != 1 {
		t.Errorf("the broker was asked to register the payment %d times, want 1", n)
	}
	if got, _ := e.Payment(ctx, p.ID); got.Status != getpaid.StatusPrepared || got.ExternalID != q.ExternalID {
		t.Errorf("payment %s %q, want prepared %q", got.Status, got.ExternalID, q.ExternalID)
	}
}
