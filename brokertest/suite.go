package brokertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Run runs the conformance suite, once on each store (memory, SQLite).
// newHarness is called once per subtest and must return a broker and
// simulator of their own.
func Run(t *testing.T, newHarness func(t *testing.T) *Harness) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			run(t, newHarness, func(t *testing.T, h *Harness) *env { return newEnv(t, h, st.open) }, st.name == stores[0].name)
		})
	}
}

// run runs the suite with envs of one store; first is the first store's
// run, which alone runs the cases of the broker's boundary (they are of
// the broker, whatever the store: run once, they keep CI's race run
// shorter).
func run(t *testing.T, newHarness func(t *testing.T) *Harness, newEnv func(t *testing.T, h *Harness) *env, first bool) {
	t.Run("pay", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := e.pay(t, "pay")
		if err := h.Sim.Pay(context.Background(), p.Redirect, "paid"); err != nil {
			t.Fatal(err)
		}
		got := e.waitStatus(t, p.ID, getpaid.StatusPaid)
		if got.Captured != h.Amount.Minor {
			t.Fatalf("captured %d, want %d", got.Captured, h.Amount.Minor)
		}
		if n := countTo(e.history(t, p.ID), getpaid.StatusPaid); n != 1 {
			t.Fatalf("%d transitions to paid", n)
		}
	})
	t.Run("decline", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := e.pay(t, "decline")
		if err := h.Sim.Pay(context.Background(), p.Redirect, "declined"); err != nil {
			t.Fatal(err)
		}
		if h.DeclinedStatus == getpaid.StatusFailed {
			e.waitStatus(t, p.ID, getpaid.StatusFailed)
			return
		}
		quiet(t, h)
		e.unchanged(t, p, 1)
	})
	t.Run("abandon", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := e.pay(t, "abandon")
		if err := h.Sim.Pay(context.Background(), p.Redirect, "abandoned"); err != nil {
			t.Fatal(err)
		}
		quiet(t, h)
		e.unchanged(t, p, 1)
	})
	t.Run("duplicate notification", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := paid(t, h, e, "dup")
		req, err := h.PaidNotification(p, h.Amount)
		if err != nil {
			t.Fatal(err)
		}
		checkEventID(t, h.Broker, req)
		for i := 0; i < 3; i++ {
			res, err := e.callback(req)
			if err != nil {
				t.Fatalf("repeat %d: %v", i, err)
			}
			if res.Outcome == getpaid.OutcomeApplied {
				t.Fatalf("repeat %d applied again", i)
			}
		}
		if n := countTo(e.history(t, p.ID), getpaid.StatusPaid); n != 1 {
			t.Fatalf("%d transitions to paid after repeats", n)
		}
	})
	t.Run("out-of-order notification", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if h.FailedNotification == nil {
			t.Skip("broker sends no failure notifications")
		}
		e := newEnv(t, h)
		p := paid(t, h, e, "ooo")
		req, err := h.FailedNotification(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.callback(req); err != nil {
			t.Fatalf("late failure: %v", err)
		}
		e.unchanged(t, p, len(e.history(t, p.ID)))
		if got, _ := e.store.Payment(context.Background(), p.ID); got.Status != getpaid.StatusPaid {
			t.Fatalf("late failure moved paid to %s", got.Status)
		}
	})
	t.Run("tampered signature", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := e.pay(t, "tamper")
		req, err := h.PaidNotification(p, h.Amount)
		if err != nil {
			t.Fatal(err)
		}
		other, err := h.PaidNotification(p, getpaid.Money{Minor: h.Amount.Minor - 1, Currency: h.Amount.Currency})
		if err != nil {
			t.Fatal(err)
		}
		want, err := h.Broker.ParseCallback(context.Background(), req)
		if err != nil {
			t.Fatalf("the untampered notification is refused: %v", err)
		}
		cases := tamperings(req, other)
		if h.ResignOtherKey != nil {
			r, err := h.ResignOtherKey(req)
			if err != nil {
				t.Fatal(err)
			}
			cases["signed with another key"] = tampering{req: r}
		}
		for name, tc := range cases {
			if tc.equivalent {
				// A broker that signs fields, not bytes, may accept it,
				// but only as exactly what the original says.
				got, err := h.Broker.ParseCallback(context.Background(), tc.req)
				if err == nil && *got != *want {
					t.Errorf("%s: accepted as %+v, the original is %+v", name, got, want)
				} else if err != nil && !errors.Is(err, getpaid.ErrSignatureInvalid) {
					t.Errorf("%s: err = %v, want ErrSignatureInvalid or the original's observation", name, err)
				}
				continue
			}
			_, err := e.callback(tc.req)
			switch {
			case errors.Is(err, getpaid.ErrSignatureInvalid):
			case tc.malformed && errors.Is(err, getpaid.ErrMalformedCallback):
			default:
				t.Errorf("%s: err = %v, want ErrSignatureInvalid", name, err)
			}
		}
		checkVerifier(t, h.Broker, []*getpaid.CallbackRequest{req, other}, cases)
		if _, ok := cases["swapped signature"]; !ok {
			t.Errorf("no signature found to swap between two notifications")
		}
		e.unchanged(t, p, 1)
	})
	t.Run("wrong amount", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := e.pay(t, "amount")
		wrong := getpaid.Money{Minor: h.Amount.Minor + 1, Currency: h.Amount.Currency}
		req, err := h.PaidNotification(p, wrong)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.callback(req)
		if !h.WrongAmountAdvance {
			if !errors.Is(err, getpaid.ErrAmountMismatch) {
				t.Fatalf("err = %v, want ErrAmountMismatch", err)
			}
			e.unchanged(t, p, 1)
			return
		}
		// Recorded as an advance for an operator: not paid, nothing captured.
		if err != nil || res.Outcome != getpaid.OutcomeApplied {
			t.Fatalf("advance: outcome %v, err %v", res, err)
		}
		q, _ := e.store.Payment(context.Background(), p.ID)
		if q.Status != getpaid.StatusChargeStarted || q.Advance != wrong.Minor || q.Captured != 0 {
			t.Fatalf("after an advance: %s advance %d captured %d", q.Status, q.Advance, q.Captured)
		}
		if res, err := e.callback(req); err != nil || res.Outcome == getpaid.OutcomeApplied {
			t.Fatalf("repeated advance: outcome %v, err %v", res, err)
		}
		// Paid, for another amount, after the payment expired: still
		// recorded for an operator (money a buyer paid is never dropped).
		late := e.pay(t, "amount-after-expiry")
		if _, err := e.store.UpdatePayment(context.Background(), late.ID, getpaid.Mutation{Cause: "expired",
			Apply: func(q *getpaid.Payment) (bool, error) {
				return getpaid.Apply(q, &getpaid.Observation{Kind: getpaid.KindReleased, BrokerStatus: "expired"})
			}}); err != nil {
			t.Fatal(err)
		}
		req, err = h.PaidNotification(late, wrong)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := e.callback(req); err != nil || res.Outcome != getpaid.OutcomeApplied {
			t.Fatalf("advance after expiry: outcome %v, err %v", res, err)
		}
		q, _ = e.store.Payment(context.Background(), late.ID)
		if q.Status != getpaid.StatusChargeStarted || q.Advance != wrong.Minor || q.Captured != 0 {
			t.Fatalf("after an advance on an expired payment: %s advance %d captured %d", q.Status, q.Advance, q.Captured)
		}
	})
	t.Run("wrong currency", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := e.pay(t, "currency")
		other := "EUR"
		if h.Amount.Currency == "EUR" {
			other = "PLN"
		}
		if h.NotificationHasNoCurrency {
			currencyless(t, h, e, p, other)
			return
		}
		req, err := h.PaidNotification(p, getpaid.Money{Minor: h.Amount.Minor, Currency: other})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.callback(req); !errors.Is(err, getpaid.ErrAmountMismatch) {
			t.Fatalf("err = %v, want ErrAmountMismatch (a valid notification refused for its currency only)", err)
		}
		e.unchanged(t, p, 1)
		// The same notification in the payment's currency is good: the
		// refusal was for the currency only.
		right, err := h.PaidNotification(p, h.Amount)
		if err != nil {
			t.Fatal(err)
		}
		o, err := h.Broker.ParseCallback(context.Background(), right)
		if err != nil {
			t.Fatalf("the same notification in %s: %v", h.Amount.Currency, err)
		}
		q, _ := e.store.Payment(context.Background(), p.ID)
		if changed, err := getpaid.Apply(q.Clone(), o); !changed || err != nil {
			t.Fatalf("the same notification in %s does not apply: %v %v", h.Amount.Currency, changed, err)
		}
	})
	t.Run("unknown payment", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := e.pay(t, "unknown")
		req, err := h.PaidNotification(p, h.Amount)
		if err != nil {
			t.Fatal(err)
		}
		stranger := newEnv(t, h) // a getpaid that never created this payment
		res, err := stranger.callback(req)
		if err != nil || res.Outcome != getpaid.OutcomeUnknown {
			t.Fatalf("unknown payment: outcome %v, err %v", res, err)
		}
	})
	for _, mode := range []string{"5xx", "timeout"} {
		t.Run("broker down "+mode, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if h.InProcess {
				t.Skip("the broker runs inside getpaid: it has no API that can be down")
			}
			e := newEnv(t, h)
			if h.PreparesOffline {
				brokerDownOffline(t, h, e, mode)
				return
			}
			h.Sim.SetFailure(mode)
			p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "down", Backend: h.Name, Amount: h.Amount,
				Description: "down", Buyer: getpaid.Buyer{Email: "buyer@example.com"}, ReturnURL: "https://shop.example/o"})
			if err == nil || !isRetryable(err) {
				t.Fatalf("Pay with broker %s: err = %v, want a retryable BrokerError", mode, err)
			}
			if p != nil {
				t.Fatalf("a payment was stored although the broker never registered it: %+v", p)
			}
			if page, _ := e.store.Payments(context.Background(), getpaid.PaymentFilter{OrderID: "down"}); page == nil || len(page.Payments) != 0 {
				t.Fatalf("payments stored after a failed start: %+v", page)
			}
			if _, ok := h.Broker.(getpaid.StatusFetcher); ok {
				h.Sim.SetFailure("")
				q := e.pay(t, "down-poll")
				h.Sim.SetFailure(mode)
				if _, err := e.eng.Poll(context.Background(), q.ID); err == nil || !isRetryable(err) {
					t.Fatalf("Poll with broker %s: err = %v, want retryable", mode, err)
				}
				e.unchanged(t, q, 1)
			}
		})
	}
	if first {
		boundary(t, newHarness, newEnv)
	}
	money(t, newHarness, newEnv)
	doubt(t, newHarness, newEnv)
	runExtra(t, newHarness, newEnv)
}

// quiet waits for the simulator to have nothing in flight.
func quiet(t *testing.T, h *Harness) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Sim.Quiet(ctx); err != nil {
		t.Fatalf("simulator never went quiet: %v", err)
	}
}

// paid runs a payment to paid through the simulator.
func paid(t *testing.T, h *Harness, e *env, order string) *getpaid.Payment {
	t.Helper()
	p := e.pay(t, order)
	if err := h.Sim.Pay(context.Background(), p.Redirect, "paid"); err != nil {
		t.Fatal(err)
	}
	return e.waitStatus(t, p.ID, getpaid.StatusPaid)
}

func countTo(h []getpaid.Transition, s getpaid.Status) int {
	n := 0
	for _, tr := range h {
		if tr.To == s {
			n++
		}
	}
	return n
}

// checkEventID checks that the broker reads an event id from req, the same
// each time: the engine deduplicates a broker's repeated notification by
// it, and a refund, a delta, would otherwise count once per delivery.
func checkEventID(t testing.TB, b getpaid.Broker, req *getpaid.CallbackRequest) {
	t.Helper()
	var ids [2]string
	for i := range ids {
		o, err := b.ParseCallback(context.Background(), req)
		if err != nil {
			t.Fatalf("the notification is refused: %v", err)
		}
		ids[i] = o.EventID
	}
	switch {
	case ids[0] == "":
		t.Errorf("the notification parses with no EventID: a repeat of it cannot be recognised")
	case ids[0] != ids[1]:
		t.Errorf("the same notification parses with EventID %q, then %q: a repeat of it cannot be recognised", ids[0], ids[1])
	}
}
