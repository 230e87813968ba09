package engine_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// timedBroker is the wrapper a shop writes around a backend to time its
// calls: it embeds getpaid.Broker and forwards the capabilities it thought
// of (Provision, FetchStatus), not ConfirmCallback.
type timedBroker struct{ getpaid.Broker }

func (t timedBroker) Provision(ctx context.Context, env getpaid.Env) error {
	return t.Broker.(getpaid.Provisioner).Provision(ctx, env)
}

func (t timedBroker) FetchStatus(ctx context.Context, req *getpaid.StatusRequest) (*getpaid.Observation, error) {
	return t.Broker.(getpaid.StatusFetcher).FetchStatus(ctx, req)
}

// A Przelewy24 backend behind a shop's wrapper that hides ConfirmCallback
// never has a payment marked paid from a notification or a poll that was
// not verified: Przelewy24 keeps (and gives back) the money of a
// transaction nobody verified. Before, the engine, finding no
// CallbackConfirmer, applied the notification as parsed: the payment was
// paid, the order shipped, and the money never came.
func TestUnconfirmedFactRefusedWithoutConfirmer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		outcome string // the buyer's payment at Przelewy24 (default: paid)
		accept  bool   // then an operator accepts the advance
		via     func(ctx context.Context, eng *engine.Engine, sim *p24test.Server, id string) error
	}{
		{"notification", "", false, func(ctx context.Context, eng *engine.Engine, sim *p24test.Server, id string) error {
			req, err := sim.Notification(id, 0, "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = eng.HandleCallback(ctx, "przelewy24", req)
			return err
		}},
		{"poll", "", false, func(ctx context.Context, eng *engine.Engine, sim *p24test.Server, id string) error {
			_, err := eng.Poll(ctx, id)
			return err
		}},
		// Half paid: an advance, which the engine never confirms on its
		// own; accepting it is what verifies it, and cannot be done here.
		{"advance notification, accepted", p24test.OutcomePartial, true, func(ctx context.Context, eng *engine.Engine, sim *p24test.Server, id string) error {
			req, err := sim.Notification(id, 0, "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = eng.HandleCallback(ctx, "przelewy24", req)
			return err
		}},
		{"advance polled, accepted", p24test.OutcomePartial, true, func(ctx context.Context, eng *engine.Engine, sim *p24test.Server, id string) error {
			_, err := eng.Poll(ctx, id)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			// The shop answers nothing: the simulator's own notification
			// is not delivered, the test sends it.
			shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
			}))
			defer shop.Close()
			sim := p24test.Start(p24test.Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "secret"})
			defer sim.Close()
			b, err := przelewy24.New(przelewy24.Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "secret", APIURL: sim.URL()})
			if err != nil {
				t.Fatal(err)
			}
			reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "przelewy24", Broker: timedBroker{b}})
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			var logs syncBuffer
			eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: shop.URL + "/payments",
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o1", Backend: "przelewy24",
				Amount: getpaid.MustParseMoney("49.99", "PLN"), Buyer: getpaid.Buyer{Email: "b@example.com"}, ClientIP: "203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			outcome := p24test.OutcomePaid
			if tc.outcome != "" {
				outcome = tc.outcome
			}
			if err := sim.Pay(ctx, p.Redirect, outcome); err != nil {
				t.Fatal(err)
			}
			err = tc.via(ctx, eng, sim, p.ID)
			if tc.accept {
				// An operator accepts the advance, if one was recorded:
				// nothing verifies it at Przelewy24.
				_, _ = eng.AcceptAdvance(ctx, getpaid.ActionRequest{PaymentID: p.ID})
			}
			got, gerr := eng.Payment(ctx, p.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if got.Status == getpaid.StatusPaid || got.Captured != 0 || sim.Verified(p.ID) {
				t.Fatalf("payment %s (verified at Przelewy24: %v), err %v; want it not paid: nobody verified it", got.Status, sim.Verified(p.ID), err)
			}
			if err == nil {
				t.Error("no error: the broker would not retry")
			}
			if !strings.Contains(logs.String(), "CallbackConfirmer") {
				t.Errorf("log does not say why:\n%s", logs.String())
			}
		})
	}
}
