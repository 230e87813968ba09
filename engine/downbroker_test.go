package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// hanging is a dummy broker gone silent: every status query runs to its
// timeout (a second here, standing for PayU's 30 s), as with a broker behind
// a firewall that drops packets, for hours. started says when one began.
type hanging struct {
	*dummy.Broker
	once    sync.Once
	started chan struct{}
}

func (h *hanging) FetchStatus(ctx context.Context, _ *getpaid.StatusRequest) (*getpaid.Observation, error) {
	return nil, h.timeout(ctx, "status")
}

func (h *hanging) FetchOperation(ctx context.Context, _ *getpaid.OperationRequest) (*getpaid.Observation, error) {
	return nil, h.timeout(ctx, "refund status")
}

// timeout is a call that runs to its timeout.
func (h *hanging) timeout(ctx context.Context, op string) error {
	h.once.Do(func() { close(h.started) })
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
	return &getpaid.BrokerError{Op: "dummy: " + op, Retryable: true, Happened: true, Err: errors.New("timeout awaiting response headers")}
}

// twoBrokers is an engine over a memory store with a working dummy
// ("dummy") and one whose status queries hang ("down"); expire is
// Config.ExpireAfterBackend.
func twoBrokers(t *testing.T, now func() time.Time, expire map[string]time.Duration) (*engine.Engine, *dummy.Broker, *hanging) {
	t.Helper()
	ok, err := dummy.New(dummy.Config{Secret: "test-secret", NoCallbacks: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ok.Close() })
	d2, err := dummy.New(dummy.Config{Secret: "test-secret", NoCallbacks: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d2.Close() })
	down := &hanging{Broker: d2, started: make(chan struct{})}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: ok}, getpaid.Backend{Name: "down", Broker: down})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay", Now: now, ExpireAfterBackend: expire,
		Logger: slog.New(slog.DiscardHandler), Reconcile: engine.ReconcileConfig{Backoff: []time.Duration{time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	return eng, ok, down
}

// A broker that stops answering (each status query runs to its timeout)
// holds up nothing of the other brokers: a refund in doubt at a working
// broker is still checked within seconds (README: within 15 s) while the
// silent broker's waiting payments are being polled. Run polled them one
// after another between two reconciler rounds: 100 of them (its limit per
// round), each taking its 30 s timeout, kept every operation in doubt
// unchecked for 50 minutes, round after round.
func TestSilentBrokerHoldsUpNoReconciling(t *testing.T) {
	t.Parallel()
	now := &clock{}
	eng, ok, down := twoBrokers(t, now.Now, nil)
	waitingOnSilent(t, eng, 10)
	p := paidAt(t, eng, "dummy", "o-paid")
	now.Advance(3 * time.Minute) // the silent broker's payments have waited long enough to be polled

	stop := running(eng)
	defer stop()
	<-down.started // Run is polling the silent broker
	refundChecked(t, eng, now, ok, p)
}

// paidAt makes a payment at backend, paid (by a signed callback).
func paidAt(t *testing.T, eng *engine.Engine, backend, order string) *getpaid.Payment {
	t.Helper()
	ctx := context.Background()
	p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: order, Backend: backend, Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	body, sig := dummy.EncodeCallback("test-secret", dummy.Callback{PaymentID: p.ID, EventID: "ev-paid-" + order, Status: dummy.StatusPaid, Amount: "10.00", Currency: "PLN"})
	if _, err := eng.HandleCallback(ctx, backend, &getpaid.CallbackRequest{Method: "POST", Header: map[string][]string{dummy.SignatureHeader: {sig}}, Body: body}); err != nil {
		t.Fatal(err)
	}
	return p
}

// running runs eng.Run (every 20 ms) until the returned stop.
func running(eng *engine.Engine) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx, 20*time.Millisecond) }()
	return func() { cancel(); <-done }
}

// refundChecked refunds p at the working broker, its answer lost, and
// wants the refund settled by Run's reconciler within 3 s of its check
// falling due.
func refundChecked(t *testing.T, eng *engine.Engine, now *clock, ok *dummy.Broker, p *getpaid.Payment) {
	t.Helper()
	ctx := context.Background()
	_ = ok.SetFault(dummy.FaultTimeoutAfter) // the refund is made, its answer lost
	_, err := eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
	_ = ok.SetFault(dummy.FaultNone)
	var oe *getpaid.OperationError
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund with its answer lost: %v", err)
	}
	now.Advance(time.Minute) // its first check is due
	within(t, 3*time.Second, "the refund in doubt at a working broker checked, while another broker is silent", func() bool {
		op, err := eng.Operation(ctx, oe.Op.ID)
		if err != nil {
			t.Fatal(err)
		}
		return op.State == getpaid.OpSucceeded
	})
}

// A broker that stops answering delays no check of another broker's
// operations in doubt by more than one of its timeouts: when refunds asked
// of it went in doubt, the reconciler asked it about them one after
// another, each check taking its timeout (30 s), 100 a round, so a refund
// in doubt at a working broker waited up to 50 minutes for its first check.
// The silent broker's other operations are asked again once their claim
// (5 min) runs out.
func TestSilentBrokerDelaysNoOtherCheck(t *testing.T) {
	t.Parallel()
	now := &clock{}
	eng, ok, down := twoBrokers(t, now.Now, nil)
	ctx := context.Background()
	var silent []string
	for i := range 10 {
		q := paidAt(t, eng, "down", fmt.Sprint("o-down", i))
		_ = down.SetFault(dummy.FaultTimeoutBefore)
		_, err := eng.Refund(ctx, getpaid.ActionRequest{PaymentID: q.ID, IdempotencyKey: "k"})
		_ = down.SetFault(dummy.FaultNone)
		var oe *getpaid.OperationError
		if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
			t.Fatalf("refund with its answer lost: %v", err)
		}
		silent = append(silent, oe.Op.ID)
	}
	p := paidAt(t, eng, "dummy", "o-paid")
	now.Advance(time.Minute) // the silent broker's refunds are due a check

	stop := running(eng)
	defer stop()
	<-down.started // Run is asking the silent broker
	refundChecked(t, eng, now, ok, p)
	for _, id := range silent {
		if op, err := eng.Operation(ctx, id); err != nil || op.State != getpaid.OpUnknown {
			t.Fatalf("refund at the silent broker: %v, %v; want it still in doubt", op, err)
		}
	}
}

// waitingOnSilent makes n payments at the silent broker, waiting there.
func waitingOnSilent(t *testing.T, eng *engine.Engine, n int) {
	t.Helper()
	for i := range n {
		if _, err := eng.Pay(context.Background(), getpaid.PayRequest{OrderID: fmt.Sprint("o", i), Backend: "down", Amount: getpaid.MustParseMoney("10.00", "PLN")}); err != nil {
			t.Fatal(err)
		}
	}
}

// A broker that stops answering delays no other broker's expiries (README:
// one expires up to about half a minute after its expire_after) nor its
// polling: Run expired and polled backend after backend in one loop, so
// while it polled the silent broker's waiting payments (100 a round, each
// taking its 30 s timeout) no payment of any other broker expired or was
// polled, for 50 minutes a round.
func TestSilentBrokerDelaysNoOtherExpiry(t *testing.T) {
	t.Parallel()
	now := &clock{}
	eng, _, down := twoBrokers(t, now.Now, map[string]time.Duration{"dummy": 10 * time.Minute})
	ctx := context.Background()
	waitingOnSilent(t, eng, 10)
	p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-left", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	now.Advance(3 * time.Minute) // the silent broker's payments have waited long enough to be polled

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(runCtx, 20*time.Millisecond) }()
	defer func() { stop(); <-done }()
	<-down.started // Run is polling the silent broker

	now.Advance(10 * time.Minute) // the working broker's payment is past its deadline
	within(t, 3*time.Second, "the payment at a working broker expired, while another broker is silent", func() bool {
		q, err := eng.Payment(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return q.Status == getpaid.StatusCancelled
	})
}
