package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// Under OneLivePaymentPerOrder a payment that failed leaves the rule for
// good, as the stores keep it: paid later (money arriving after the
// failure), it does not block its order. Pay refuses before registering
// anything at the broker, and its check must count what the store's
// constraint counts, not refuse an order the store would take.
func TestOneLiveAfterFailedThenPaid(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Pay", "Create"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newDummyEnv(t, dummy.Config{}, engine.Config{Store: memory.New(), OneLivePaymentPerOrder: true})
			ctx := context.Background()
			do := e.eng.Pay
			if name == "Create" {
				do = e.eng.Create
			}
			req := getpaid.PayRequest{OrderID: "o-live-1", Backend: "dummy", Amount: getpaid.MustParseMoney("100.00", "PLN")}
			first, err := do(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if live, err := do(ctx, req); !errors.Is(err, getpaid.ErrLivePaymentExists) || live == nil || live.ID != first.ID {
				t.Fatalf("second payment while the first is live: %v, %v; want %s beside ErrLivePaymentExists", live, err, first.ID)
			}
			for _, c := range []dummy.Callback{{EventID: "e1", Status: "failed"}, {EventID: "e2", Status: "paid"}} {
				c.PaymentID, c.Amount, c.Currency = first.ID, "100.00", "PLN"
				if res, err := e.callback(c); err != nil || res.Outcome != getpaid.OutcomeApplied {
					t.Fatalf("callback %s: %+v %v", c.Status, res, err)
				}
			}
			if q := e.wait(first.ID, func(q *getpaid.Payment) bool { return q.Status == getpaid.StatusPaid }); q.Captured != 10000 {
				t.Fatalf("first payment: %+v", q)
			}
			second, err := do(ctx, req)
			if err != nil || second == nil || second.ID == first.ID {
				t.Fatalf("a payment for the order whose payment was paid after failing: %v, %v; want a new one", second, err)
			}
			if live, err := do(ctx, req); !errors.Is(err, getpaid.ErrLivePaymentExists) || live == nil || live.ID != second.ID {
				t.Fatalf("third payment: %v, %v; want %s (the live one) beside ErrLivePaymentExists", live, err, second.ID)
			}
		})
	}
}
