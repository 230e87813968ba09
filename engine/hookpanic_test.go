package engine_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// A shop's hook that panics (a bug in its metrics code) is recovered where
// the engine calls it, logged at ERROR with the hook's name, the panic and
// its line and stack, and the engine carries on: the payment is created, paid by
// Run's polling, its second transaction recorded. Before, nothing
// recovered a hook's panic: in Run's polling or reconciling it ended the
// shop's process, every payment's processing with it, and in a request
// (Pay, a notification) the panic lost the answer, the change committed or
// not made at all.
func TestPanickingHookIsRecovered(t *testing.T) {
	t.Parallel()
	boom := func() {
		panic("assignment to entry in nil map") // the shop's bug, as the runtime says it
	}
	for _, tt := range []struct {
		name  string
		hooks engine.Hooks
	}{
		{"BrokerCall", engine.Hooks{BrokerCall: func(context.Context, string, string) (context.Context, func(error)) {
			boom()
			return nil, nil
		}}},
		{"BrokerCall done", engine.Hooks{BrokerCall: func(ctx context.Context, _, _ string) (context.Context, func(error)) {
			return ctx, func(error) { boom() }
		}}},
		{"Changed", engine.Hooks{Changed: func(context.Context, *getpaid.UpdateResult, bool) { boom() }}},
		{"SecondTransaction", engine.Hooks{SecondTransaction: func(context.Context, string, string, string) { boom() }}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logs := &lockedBuffer{}
			pb := &pollingBroker{fakeBroker: &fakeBroker{}}
			e := newEngineConfig(t, pb, engine.Config{Store: memory.New(), Hooks: tt.hooks,
				Logger: slog.New(slog.NewTextHandler(logs, nil))})
			ctx := context.Background()
			var p *getpaid.Payment
			must := func(what string, do func() error) {
				t.Helper()
				if err := noPanic(do); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			must("Pay", func() (err error) {
				p, err = e.Pay(ctx, getpaid.PayRequest{OrderID: "o-hook", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
				return err
			})
			// Run's polling of waiting payments.
			pb.status.Store(&getpaid.Observation{ExternalID: "TR-1", EventID: "TR-1:captured", Kind: getpaid.KindCaptured,
				Amount: p.Amount, Full: true})
			must("polling", func() error { _, err := e.PollStale(ctx, 0, time.Hour, 10); return err })
			// A buyer who paid twice: the second transaction's notification.
			pb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: "TR-2", EventID: "TR-2:captured", Kind: getpaid.KindCaptured,
				Amount: p.Amount, Full: true}
			must("notification", func() error { _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); return err })
			if q, err := e.Payment(ctx, p.ID); err != nil || q.Status != getpaid.StatusPaid || q.ExternalID != "TR-1" {
				t.Fatalf("payment %+v, %v; want paid by TR-1", q, err)
			}
			if s, err := e.SecondTransactions(ctx, p.ID); err != nil || len(s) != 1 || s[0].ExternalID != "TR-2" {
				t.Fatalf("SecondTransactions = %+v, %v; want TR-2", s, err)
			}
			out := logs.String()
			for _, want := range []string{"level=ERROR", "the " + tt.name + " hook panicked", "assignment to entry in nil map", "hookpanic_test.go:", "stack=", "hook="} {
				if !strings.Contains(out, want) {
					t.Errorf("the log lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
