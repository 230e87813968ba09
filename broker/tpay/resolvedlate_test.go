package tpay_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
)

// A refund of 20.00 whose answer was lost, resolved by an operator as done,
// then another refund of 20.00 (made in Tpay's panel, or asked for through
// getpaid), counted. The resolved refund's own CHARGEBACK, delivered late,
// was answered 500 on every delivery and logged at ERROR ("Tpay lists 2
// refunds of 20.00 ... an operator must match them"): Tpay has refunded
// nothing getpaid has not recorded, so it is a repeat.
func TestResolvedRefundsLateChargebackAfterAnotherOfItsAmount(t *testing.T) {
	t.Parallel()
	twenty := getpaid.MustParseMoney("20.00", "PLN")
	tests := []struct {
		name  string
		other func(context.Context, *tpaytest.Server, *flow, *getpaid.Payment) error
	}{
		{"made in the panel", func(_ context.Context, sim *tpaytest.Server, _ *flow, p *getpaid.Payment) error {
			return sim.Chargeback(p.ID, twenty)
		}},
		{"asked for through getpaid", func(ctx context.Context, _ *tpaytest.Server, f *flow, p *getpaid.Payment) error {
			_, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &twenty})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim, _ := recordedSim(t, tpaytest.Config{})
			f := newFlow(t, newBroker(t, sim, nil))
			p := f.pay(t, getpaid.NewID("o"), getpaid.MustParseMoney("100.00", "PLN"))
			if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
				t.Fatal(err)
			}
			f.wait(t, p.ID, getpaid.StatusPaid)
			api := f.late.h
			f.late.mu.Lock()
			f.late.h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
			f.late.mu.Unlock()
			sim.SetOperationFault(tpaytest.FaultTimeoutAfter)
			_, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &twenty})
			sim.SetOperationFault(tpaytest.FaultNone)
			quiet(t, sim) // its CHARGEBACK was not delivered
			f.late.mu.Lock()
			f.late.h = api
			f.late.mu.Unlock()
			oe := (*getpaid.OperationError)(nil)
			if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
				t.Fatalf("refund with its answer lost: %v; want it in doubt", err)
			}
			if _, err := f.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "ops"}); err != nil {
				t.Fatal(err)
			}
			if err := tt.other(ctx, sim, f, p); err != nil {
				t.Fatal(err)
			}
			quiet(t, sim)
			if got, _ := f.store.Payment(ctx, p.ID); got.Refunded != 4000 {
				t.Fatalf("after the second refund: refunded %d; want 4000", got.Refunded)
			}
			note, err := sim.Notification(p.ID, "CHARGEBACK", twenty)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				res, err := f.eng.HandleCallback(ctx, "tpay", note)
				if err != nil || res.Outcome != getpaid.OutcomeDuplicate {
					t.Fatalf("the resolved refund's CHARGEBACK, late (delivery %d): %+v %v; want a repeat", i+1, res, err)
				}
			}
			if got, _ := f.store.Payment(ctx, p.ID); got.Refunded != 4000 || got.RefundAsked != 0 {
				t.Fatalf("refunded %d asked %d; want 4000, nothing asked", got.Refunded, got.RefundAsked)
			}
		})
	}
}

// hooked serves a simulator, calling after (when set) once the simulator
// has answered a refund and before the answer goes back to getpaid.
type hooked struct {
	h     http.Handler
	mu    sync.Mutex
	after func()
}

func (k *hooked) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	k.h.ServeHTTP(rec, r)
	k.mu.Lock()
	after := k.after
	k.mu.Unlock()
	if after != nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/refunds") {
		after()
	}
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// As TestResolvedRefundsLateChargebackAfterAnotherOfItsAmount, getpaid's
// refund of 20.00 notified before its answer is written (Tpay sends the
// CHARGEBACK at once): the CHARGEBACK was counted as a refund made in the
// panel (Tpay had refunded 20.00 more than recorded: getpaid's own, on its
// way), and the answer then counted it again, 60.00 refunded where Tpay had
// paid back 40.00. It is held back until the answer is in, then a repeat.
func TestResolvedRefundsAmountRefundedAgainNotifiedBeforeItsAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pki, _ := pkis(t)
	sim := tpaytest.New(tpaytest.Config{PKI: pki, NotifyBackoff: 5 * time.Millisecond})
	hook := &hooked{h: sim.Handler()}
	srv := httptest.NewServer(hook)
	sim.SetBaseURL(srv.URL)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, getpaid.NewID("o"), getpaid.MustParseMoney("100.00", "PLN"))
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	api := f.late.h
	f.late.mu.Lock()
	f.late.h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	f.late.mu.Unlock()
	twenty := getpaid.MustParseMoney("20.00", "PLN")
	sim.SetOperationFault(tpaytest.FaultTimeoutAfter)
	_, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &twenty})
	sim.SetOperationFault(tpaytest.FaultNone)
	quiet(t, sim)
	oe := (*getpaid.OperationError)(nil)
	if !errors.As(err, &oe) || oe.Op.State != getpaid.OpUnknown {
		t.Fatalf("refund with its answer lost: %v; want it in doubt", err)
	}
	if _, err := f.eng.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: oe.Op.ID, As: getpaid.OpSucceeded, Note: "seen in the panel", By: "ops"}); err != nil {
		t.Fatal(err)
	}
	note, err := sim.Notification(p.ID, "CHARGEBACK", twenty)
	if err != nil {
		t.Fatal(err)
	}
	hook.mu.Lock()
	hook.after = func() { _, _ = f.eng.HandleCallback(ctx, "tpay", note) } // the new refund's, before its answer
	hook.mu.Unlock()
	if _, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &twenty}); err != nil {
		t.Fatal(err)
	}
	hook.mu.Lock()
	hook.after = nil
	hook.mu.Unlock()
	quiet(t, sim)
	f.late.mu.Lock()
	f.late.h = api
	f.late.mu.Unlock()
	if got, _ := f.store.Payment(ctx, p.ID); got.Refunded != 4000 || got.RefundAsked != 0 {
		t.Fatalf("after the second refund: refunded %d asked %d; want 4000 (two refunds of 20.00 at Tpay)", got.Refunded, got.RefundAsked)
	}
	if res, err := f.eng.HandleCallback(ctx, "tpay", note); err != nil || res.Outcome != getpaid.OutcomeDuplicate {
		t.Fatalf("the CHARGEBACK again: %+v %v; want a repeat", res, err)
	}
	if got, _ := f.store.Payment(ctx, p.ID); got.Refunded != 4000 {
		t.Fatalf("refunded %d; want 4000", got.Refunded)
	}
}
