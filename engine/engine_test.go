package engine_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// fakeBroker is a hand-written fake: it prepares with a fixed redirect and
// reports what the test tells it to.
type fakeBroker struct {
	obs       *getpaid.Observation
	err       error
	prepares  atomic.Int64
	refunds   atomic.Int64
	refundErr error
}

// confirmingBroker is fakeBroker with a confirmation step.
type confirmingBroker struct{ *fakeBroker }

func (confirmingBroker) ConfirmCallback(context.Context, *getpaid.ConfirmRequest) error {
	return nil
}

func (f *fakeBroker) Currencies() []string { return []string{"PLN"} }
func (f *fakeBroker) Prepare(ctx context.Context, r *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	f.prepares.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	return &getpaid.Prepared{ExternalID: "ext-" + r.Payment.ID, Redirect: &getpaid.Redirect{Method: "GET", URL: "https://broker.example/pay"}}, nil
}
func (f *fakeBroker) ParseCallback(ctx context.Context, r *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	return f.obs, f.err
}
func (f *fakeBroker) Refund(ctx context.Context, r *getpaid.RefundRequest) (*getpaid.Observation, error) {
	m, refundID := r.Amount, r.OperationID
	f.refunds.Add(1)
	if f.refundErr != nil {
		return nil, f.refundErr
	}
	return &getpaid.Observation{Kind: getpaid.KindRefundStarted, Amount: m, EventID: "started:" + refundID}, nil
}
func (f *fakeBroker) Capture(ctx context.Context, r *getpaid.CaptureRequest) (*getpaid.Observation, error) {
	return f.obs, f.err
}

// failingStore fails updates once allow runs out, to show a broker success
// that cannot be recorded.
type failingStore struct {
	*memory.Store
	armed atomic.Bool
	allow atomic.Int64 // updates still allowed once armed
}

func (s *failingStore) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	if s.armed.Load() && s.allow.Add(-1) < 0 {
		return nil, errors.New("disk full")
	}
	return s.Store.UpdatePayment(ctx, id, m)
}

func newEngine(t *testing.T, b getpaid.Broker, store getpaid.Store, ls ...engine.Listener) *engine.Engine {
	t.Helper()
	return newEngineConfig(t, b, engine.Config{Store: store, Listeners: ls})
}

// newEngineConfig is an engine of cfg with b as its one backend, "fake".
func newEngineConfig(t *testing.T, b getpaid.Broker, cfg engine.Config) *engine.Engine {
	t.Helper()
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Registry, cfg.BaseURL = reg, "https://shop.example/pay"
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func create(t *testing.T, e *engine.Engine) *getpaid.Payment {
	t.Helper()
	p, err := e.Pay(context.Background(), getpaid.PayRequest{OrderID: "o1", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigRequired(t *testing.T) {
	t.Parallel()
	reg, _ := getpaid.NewRegistry()
	for name, cfg := range map[string]engine.Config{
		"no store":          {Registry: reg, BaseURL: "https://x.example"},
		"no registry":       {Store: memory.New(), BaseURL: "https://x.example"},
		"relative base URL": {Store: memory.New(), Registry: reg, BaseURL: "/payments"},
		// Callback and return URLs are the base URL with a path appended:
		// after a query or a fragment that path would be lost to brokers.
		"base URL with a query":    {Store: memory.New(), Registry: reg, BaseURL: "https://x.example/payments?shop=1"},
		"base URL with a bare ?":   {Store: memory.New(), Registry: reg, BaseURL: "https://x.example/payments?"},
		"base URL with a fragment": {Store: memory.New(), Registry: reg, BaseURL: "https://x.example/payments#top"},
		"base URL with a user":     {Store: memory.New(), Registry: reg, BaseURL: "https://shop:secret@x.example/payments"},
		// "http://" + a listen address (":8000"): a port and no host,
		// which no broker or browser can reach.
		"base URL without a host": {Store: memory.New(), Registry: reg, BaseURL: "http://:8000/payments"},
		// Brokers are sent it as written (PayU's notifyUrl, Location
		// headers): a blank or a non-ASCII letter unescaped is not a URL
		// there; New says how to write it rather than a broker refusing
		// every payment, or a buyer's browser guessing.
		"base URL with a blank":     {Store: memory.New(), Registry: reg, BaseURL: "https://x.example/my payments"},
		"base URL with a non-ASCII": {Store: memory.New(), Registry: reg, BaseURL: "https://x.example/płatności"},
		// A negative wait or bound is a mistake (a setting parsed with
		// its sign wrong), never a default: it used to be taken as one
		// (0), or as no wait at all, retrying a failed delivery at once.
		// A typed nil (a store variable left nil when its Open failed)
		// passed "Store == nil" and panicked at the first call.
		"nil *memory.Store":          {Store: (*memory.Store)(nil), Registry: reg, BaseURL: "https://x.example"},
		"negative retry wait":        {Store: memory.New(), Registry: reg, BaseURL: "https://x.example", RetrySchedule: []time.Duration{5 * time.Second, -time.Minute}},
		"negative delivery timeout":  {Store: memory.New(), Registry: reg, BaseURL: "https://x.example", DeliveryTimeout: -time.Second},
		"negative deliveries":        {Store: memory.New(), Registry: reg, BaseURL: "https://x.example", DeliveriesInFlight: -1},
		"negative reconcile backoff": {Store: memory.New(), Registry: reg, BaseURL: "https://x.example", Reconcile: engine.ReconcileConfig{Backoff: []time.Duration{-time.Second}}},
		"negative flag after":        {Store: memory.New(), Registry: reg, BaseURL: "https://x.example", Reconcile: engine.ReconcileConfig{FlagAfter: -time.Hour}},
		"negative submitting after":  {Store: memory.New(), Registry: reg, BaseURL: "https://x.example", Reconcile: engine.ReconcileConfig{SubmittingAfter: -time.Minute}},
	} {
		if _, err := engine.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBrokerSuccessNotRecordedIsAReconciliationError(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	store := &failingStore{Store: memory.New()}
	e := newEngine(t, fb, store)
	p := create(t, e)
	fb.obs = &getpaid.Observation{Kind: getpaid.KindLocked, Amount: p.Amount, EventID: "lock"}
	if _, err := store.UpdatePayment(context.Background(), p.ID, getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) {
		return getpaid.Apply(q, fb.obs)
	}}); err != nil {
		t.Fatal(err)
	}
	fb.obs = &getpaid.Observation{Kind: getpaid.KindCaptured, Amount: p.Amount, EventID: "cap"}
	store.allow.Store(1) // the capture's request is recorded, its result is not
	store.armed.Store(true)
	_, err := e.Capture(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &p.Amount})
	var re *engine.ReconciliationError
	if !errors.As(err, &re) || re.Observation.Kind != getpaid.KindCaptured {
		t.Fatalf("err = %v, want a ReconciliationError carrying the broker's capture", err)
	}
}

func TestRefusedWithoutBrokerCall(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e := newEngine(t, fb, memory.New())
	p := create(t, e)
	before := fb.prepares.Load()
	_, err := e.Start(context.Background(), p.ID, "")
	if !errors.Is(err, getpaid.ErrForbiddenTransition) || fb.prepares.Load() != before {
		t.Fatalf("second start: %v, prepares %d -> %d", err, before, fb.prepares.Load())
	}
	if _, err := e.Capture(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &p.Amount}); !errors.Is(err, getpaid.ErrForbiddenTransition) {
		t.Fatalf("capture without a hold: %v", err)
	}
	if _, err := e.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &p.Amount}); !errors.Is(err, getpaid.ErrForbiddenTransition) {
		t.Fatalf("refund of an unpaid payment: %v", err)
	}
	if _, err := e.Poll(context.Background(), p.ID); !errors.Is(err, getpaid.ErrNotSupported) {
		t.Fatalf("poll without StatusFetcher: %v", err)
	}
}

func TestBrokerDownStoresNothing(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{err: &getpaid.BrokerError{Op: "fake: prepare", Retryable: true}}
	store := memory.New()
	var events atomic.Int64
	e := newEngine(t, fb, store, engine.Listener(func(ctx context.Context, ev getpaid.Event) error {
		events.Add(1)
		return nil
	}))
	p, err := e.Pay(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "fake", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	if !getpaid.IsRetryable(err) || p != nil {
		t.Fatalf("pay with broker down: %v %+v", err, p)
	}
	if page, _ := store.Payments(context.Background(), getpaid.PaymentFilter{OrderID: "o"}); len(page.Payments) != 0 || events.Load() != 0 {
		t.Fatalf("stored %d payments, sent %d events", len(page.Payments), events.Load())
	}
	// A payment created without starting can be started once the broker is back.
	q, err := e.Create(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "fake", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	fb.err = nil
	if q, err = e.Start(context.Background(), q.ID, ""); err != nil || q.Status != getpaid.StatusPrepared {
		t.Fatalf("start: %v", err)
	}
}

func TestCancelNewPayment(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e := newEngine(t, fb, memory.New())
	p, _ := e.Create(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "fake", Amount: getpaid.MustParseMoney("1.00", "PLN")})
	res, err := e.Cancel(context.Background(), getpaid.ActionRequest{PaymentID: p.ID})
	if err != nil || res.Payment.Status != getpaid.StatusCancelled {
		t.Fatalf("cancel new: %v %+v", err, res)
	}
}

// paidPayment runs a payment to paid through a callback.
func paidPayment(t *testing.T, e *engine.Engine, fb *fakeBroker) *getpaid.Payment {
	t.Helper()
	p := create(t, e)
	fb.obs = &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true, EventID: "paid-" + p.ID}
	if _, err := e.HandleCallback(context.Background(), "fake", &getpaid.CallbackRequest{}); err != nil {
		t.Fatal(err)
	}
	q, _ := e.Payment(context.Background(), p.ID)
	if q.Status != getpaid.StatusPaid {
		t.Fatalf("status %s", q.Status)
	}
	return q
}

func TestConcurrentRefundsNeverExceedWhatWasPaid(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e := newEngine(t, fb, memory.New())
	p := paidPayment(t, e, fb)
	part := getpaid.Money{Minor: 400, Currency: "PLN"} // 10.00 PLN paid: at most two of these fit
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := e.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &part})
			errs <- err
		}()
	}
	ok := 0
	for range 8 {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, getpaid.ErrInvalidAmount) {
			t.Errorf("refund refused with %v, want ErrInvalidAmount", err)
		}
	}
	if ok != 2 || fb.refunds.Load() != 2 {
		t.Fatalf("%d refunds accepted, %d reached the broker; want 2 and 2", ok, fb.refunds.Load())
	}
	q, _ := e.Payment(context.Background(), p.ID)
	if q.Status != getpaid.StatusRefundStarted || q.RefundAsked != 800 {
		t.Fatalf("after refunds: %s asked %d", q.Status, q.RefundAsked)
	}
}

func TestRefundRejectedByBrokerIsTakenBack(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e := newEngine(t, fb, memory.New())
	p := paidPayment(t, e, fb)
	fb.refundErr = &getpaid.BrokerError{Op: "fake: refund", Status: 400, Err: errors.New("refused")}
	if _, err := e.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &p.Amount}); err == nil {
		t.Fatal("refund accepted")
	}
	q, _ := e.Payment(context.Background(), p.ID)
	if q.Status != getpaid.StatusPaid || q.RefundAsked != 0 {
		t.Fatalf("after a refused refund: %s asked %d", q.Status, q.RefundAsked)
	}
}

// A confirming broker's refund notification sent again is a duplicate, not
// an amount mismatch that the broker would retry forever.
func TestRedeliveredRefundNotification(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e := newEngine(t, confirmingBroker{fb}, memory.New())
	p := paidPayment(t, e, fb)
	fb.obs = &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindRefunded, Amount: p.Amount, EventID: "refund-1"}
	for i, want := range []getpaid.Outcome{getpaid.OutcomeApplied, getpaid.OutcomeDuplicate, getpaid.OutcomeDuplicate} {
		res, err := e.HandleCallback(context.Background(), "fake", &getpaid.CallbackRequest{})
		if err != nil || res.Outcome != want {
			t.Fatalf("delivery %d: %v %v, want %s", i, res, err, want)
		}
	}
}

// pollingBroker answers status queries with whatever the test sets.
type pollingBroker struct {
	*fakeBroker
	status atomic.Pointer[getpaid.Observation]
	polls  atomic.Int64
}

func (b *pollingBroker) FetchStatus(ctx context.Context, r *getpaid.StatusRequest) (*getpaid.Observation, error) {
	p := r.Payment
	b.polls.Add(1)
	if o := b.status.Load(); o != nil {
		c := *o
		c.PaymentID = p.ID
		return &c, nil
	}
	return &getpaid.Observation{Kind: getpaid.KindNone}, nil
}

func TestPollStaleFinishesWaitingPayments(t *testing.T) {
	t.Parallel()
	pb := &pollingBroker{fakeBroker: &fakeBroker{}}
	e := newEngine(t, pb, memory.New())
	p := create(t, e)
	if n, err := e.PollStale(context.Background(), time.Hour, 72*time.Hour, 10); err != nil || n != 0 || pb.polls.Load() != 0 {
		t.Fatalf("a fresh payment was polled: n=%d err=%v polls=%d", n, err, pb.polls.Load())
	}
	if n, _ := e.PollStale(context.Background(), 0, 72*time.Hour, 10); n != 0 || pb.polls.Load() != 1 {
		t.Fatalf("broker with no news: n=%d polls=%d", n, pb.polls.Load())
	}
	pb.status.Store(&getpaid.Observation{Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true, EventID: "poll-paid"})
	if n, err := e.PollStale(context.Background(), 0, 72*time.Hour, 10); err != nil || n != 1 {
		t.Fatalf("poll: n=%d err=%v", n, err)
	}
	if q, _ := e.Payment(context.Background(), p.ID); q.Status != getpaid.StatusPaid {
		t.Fatalf("status %s after the broker said paid", q.Status)
	}
	if n, _ := e.PollStale(context.Background(), 0, 72*time.Hour, 10); n != 0 || pb.polls.Load() != 2 {
		t.Fatalf("a paid payment was polled again: n=%d polls=%d", n, pb.polls.Load())
	}
}

// slowPrepare is the dummy broker with a Prepare that counts its calls and
// waits until released.
type slowPrepare struct {
	*dummy.Broker
	calls   atomic.Int64
	release chan struct{}
}

func (s *slowPrepare) Prepare(ctx context.Context, req *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	s.calls.Add(1)
	<-s.release
	return s.Broker.Prepare(ctx, req)
}

// Two Start calls at once on one new payment (a double click in library
// mode) register it at the broker once, and both get the prepared payment:
// a second registration would leave an order at the broker nobody uses.
func TestConcurrentStartsPrepareOnce(t *testing.T) {
	t.Parallel()
	slow := &slowPrepare{release: make(chan struct{})}
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { slow.Broker = d; return slow })
	ctx := context.Background()
	p, err := e.eng.Create(ctx, getpaid.PayRequest{OrderID: "o-twice", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	var got [2]*getpaid.Payment
	var errs [2]error
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { got[i], errs[i] = e.eng.Start(ctx, p.ID, "203.0.113.1") })
	}
	waitFor(t, "the first Prepare", func() bool { return slow.calls.Load() > 0 })
	// Give the other Start time to arrive while the first is at the
	// broker. One that comes only after it (a very slow machine) is
	// refused as a Start of a prepared payment: the broker is still asked
	// once, which is what this test is about.
	time.Sleep(200 * time.Millisecond)
	close(slow.release)
	wg.Wait()
	if n := slow.calls.Load(); n != 1 {
		t.Fatalf("the broker was asked to prepare %d times, want 1", n)
	}
	joined := 0
	for i := range 2 {
		var te *getpaid.TransitionError
		switch {
		case errs[i] == nil && got[i].Status == getpaid.StatusPrepared && got[i].Redirect != nil:
			joined++
		case errors.As(errs[i], &te):
		default:
			t.Fatalf("start %d: %+v, %v; want the prepared payment", i, got[i], errs[i])
		}
	}
	if joined == 0 {
		t.Fatal("neither Start got the prepared payment")
	}
	if joined == 2 && got[0].Redirect.URL != got[1].Redirect.URL {
		t.Fatalf("two redirects: %s and %s", got[0].Redirect.URL, got[1].Redirect.URL)
	}
	if _, err := e.eng.Start(ctx, p.ID, ""); err == nil {
		t.Fatal("a Start after the payment was prepared succeeded")
	}
}

// bareBroker is a broker with none of the optional capabilities (no
// capture, release, cancel or refund), as Transferuj has no refund and
// Przelewy24 no holds.
type bareBroker struct{ getpaid.Broker }

// An action the backend cannot do is refused as not supported whatever
// the payment's state, before the state is looked at: "no funds are held
// to capture" would suggest a hold could come.
func TestActionNotSupportedBeforeState(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e := newEngine(t, bareBroker{fb}, memory.New())
	p := create(t, e)
	for _, tt := range []struct {
		name string
		do   func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error)
		req  getpaid.ActionRequest
	}{
		{"capture the whole hold", e.Capture, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "c1"}},
		{"capture an amount", e.Capture, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "c2", Amount: &p.Amount}},
		{"release", e.Release, getpaid.ActionRequest{PaymentID: p.ID}},
		{"refund everything", e.Refund, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r1"}},
		{"refund an amount", e.Refund, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r2", Amount: &p.Amount}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tt.do(context.Background(), tt.req); !errors.Is(err, getpaid.ErrNotSupported) {
				t.Fatalf("err = %v, want ErrNotSupported", err)
			}
		})
	}
}
