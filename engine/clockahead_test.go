package engine_test

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// gatedRefund is the dummy broker whose first refund call is held until
// gate closes: a broker call still running in the process that made it.
type gatedRefund struct {
	*dummy.Broker
	gate  chan struct{}
	first atomic.Bool
}

func (h *gatedRefund) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	if h.first.CompareAndSwap(false, true) {
		<-h.gate
	}
	return h.Broker.Refund(ctx, req)
}

// An instance whose clock is ahead of another's by more than
// SubmittingAfter (resume_operations_after) takes a refund whose call still
// runs in the other for one whose process died and, the broker showing
// nothing done yet, records it failed: its reservation goes back, a refund
// asked again goes to the broker, and the first one's answer counts too.
// README's "Clocks" said only that such clocks can send a webhook twice,
// harmless to a receiver deduplicating by webhook-id: an operator read that
// a few minutes of skew cost nothing worse. It says this now.
func TestClockAheadTakesARunningRefundForFailed(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	e := newDummyEnv(t, dummy.Config{}, engine.Config{}, func(d *dummy.Broker) getpaid.Broker { return &gatedRefund{Broker: d, gate: gate} })
	ahead := &clock{}
	ahead.Advance(3 * time.Minute) // SubmittingAfter is 2 min
	other := e.another(ahead.Now)
	ctx := context.Background()
	p := e.pay("o", "10.00", "paid", getpaid.StatusPaid)
	first := make(chan error, 1)
	go func() {
		_, err := e.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k1", Amount: money("4.00")})
		first <- err
	}()
	waitFor(t, "the first refund to reserve its amount", func() bool {
		q, err := e.store.Payment(ctx, p.ID)
		return err == nil && q.RefundAsked == 400
	})
	if _, err := other.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	ops, err := e.store.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if err != nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpFailed {
		t.Fatalf("operations after the skewed reconcile: %+v, %v; want the running refund taken for failed", ops, err)
	}
	if _, err := other.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "k2", Amount: money("4.00")}); err != nil {
		t.Fatalf("the refund asked again: %v", err)
	}
	close(gate)
	<-first
	q, err := e.store.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n, total := e.d.Refunds(p.ID); n != 2 || total != 800 || q.Refunded != 800 {
		t.Fatalf("broker refunds %d (%d), payment refunded %d; want the money refunded twice, 8.00", n, total, q.Refunded)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, clocks, _ := strings.Cut(string(readme), "**Clocks.**")
	clocks, _, _ = strings.Cut(clocks, "\n\n")
	for _, want := range []string{"resume_operations_after", "records the operation failed", "moves the money twice"} {
		if !strings.Contains(clocks, want) {
			t.Errorf("README's Clocks paragraph does not say what a clock ahead does to a running money operation (%q)", want)
		}
	}
}
