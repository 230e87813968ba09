package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// panicky is a broker whose status and operation queries panic (a parser's
// bug on a strange answer, a shop's own getpaid.Broker).
type panicky struct{ *dummy.Broker }

func (panicky) FetchStatus(context.Context, *getpaid.StatusRequest) (*getpaid.Observation, error) {
	panic("assignment to entry in nil map") // the broker's bug, as the runtime says it
}

func (panicky) FetchOperation(context.Context, *getpaid.OperationRequest) (*getpaid.Observation, error) {
	panic("assignment to entry in nil map")
}

// A broker whose code panics while Run polls a waiting payment or checks an
// operation in doubt ends nothing: the panic is recovered for that item,
// logged at ERROR with the backend, the payment or operation and the
// stack, nothing is recorded for it (tried again once its claim runs out)
// and the other items are still polled and checked. Before, the panic
// ended the shop's process, and after a restart the same item ended it
// again.
func TestPanickingBrokerIsRecovered(t *testing.T) {
	t.Parallel()
	now := &clock{}
	mk := func() *dummy.Broker {
		d, err := dummy.New(dummy.Config{Secret: "test-secret", NoCallbacks: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = d.Close() })
		return d
	}
	ok, bad := mk(), panicky{mk()}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "bad", Broker: bad}, getpaid.Backend{Name: "dummy", Broker: ok})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay", Now: now.Now,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Reconcile: engine.ReconcileConfig{Backoff: []time.Duration{time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	ctx := context.Background()
	refundInDoubt := func(b *dummy.Broker, backend string) string {
		p := paidAt(t, eng, backend, "o-paid-"+backend)
		_ = b.SetFault(dummy.FaultTimeoutAfter) // the refund is made, its answer lost
		_, err := eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k"})
		_ = b.SetFault(dummy.FaultNone)
		var oe *getpaid.OperationError
		if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
			t.Fatalf("refund with its answer lost: %v", err)
		}
		return oe.Op.ID
	}
	badOp, okOp := refundInDoubt(bad.Broker, "bad"), refundInDoubt(ok, "dummy")
	waiting, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-waiting", Backend: "bad", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	now.Advance(time.Minute)
	if err := noPanic(func() error { _, err := eng.PollStale(ctx, 0, time.Hour, 10); return err }); err != nil {
		t.Fatalf("PollStale: %v", err)
	}
	if err := noPanic(func() error { _, err := eng.Reconcile(ctx, 10); return err }); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if op, err := eng.Operation(ctx, okOp); err != nil || op.State != getpaid.OpSucceeded {
		t.Fatalf("the working broker's refund: %+v, %v; want it checked, succeeded", op, err)
	}
	if op, err := eng.Operation(ctx, badOp); err != nil || op.State != getpaid.OpUnknown || op.LastCheck != "" {
		t.Fatalf("the panicking broker's refund: %+v, %v; want it in doubt, nothing recorded", op, err)
	}
	if q, err := eng.Payment(ctx, waiting.ID); err != nil || q.Version != waiting.Version {
		t.Fatalf("the waiting payment: %+v, %v; want it unchanged", q, err)
	}
	out := logs.String()
	for _, want := range []string{"level=ERROR", "polling payment " + waiting.ID + " panicked", "checking operation " + badOp + " panicked",
		"assignment to entry in nil map", "brokerpanic_test.go:", "tried again once its claim runs out", "backend=bad", "stack="} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}
