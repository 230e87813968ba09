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
			run(t, newHarness, func(t *testing.T, h *Harness) *env { return newEnv(t, h, st.open) })
		})
	}
}

func run(t *testing.T, newHarness func(t *testing.T) *Harness, newEnv func(t *testing.T, h *Harness) *env) {
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
		for i := 0; i < 3; i++ {
			req, err := h.PaidNotification(p, h.Amount)
			if err != nil {
				t.Fatal(err)
			}
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
		for name, bad := range tamperings(req) {
			if _, err := e.callback(bad); !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Errorf("%s: err = %v, want ErrSignatureInvalid", name, err)
			}
		}
		e.unchanged(t, p, 1)
	})
	t.Run("wrong amount", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := e.pay(t, "amount")
		req, err := h.PaidNotification(p, getpaid.Money{Minor: h.Amount.Minor + 1, Currency: h.Amount.Currency})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.callback(req); !errors.Is(err, getpaid.ErrAmountMismatch) {
			t.Fatalf("err = %v, want ErrAmountMismatch", err)
		}
		e.unchanged(t, p, 1)
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
		req, err := h.PaidNotification(p, getpaid.Money{Minor: h.Amount.Minor, Currency: other})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.callback(req)
		if !errors.Is(err, getpaid.ErrAmountMismatch) && !errors.Is(err, getpaid.ErrSignatureInvalid) {
			t.Fatalf("err = %v, want ErrAmountMismatch", err)
		}
		e.unchanged(t, p, 1)
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
			if h.OfflinePrepare {
				t.Skip("Prepare calls no broker")
			}
			e := newEnv(t, h)
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

// tamperings returns copies of a valid notification with one thing broken.
func tamperings(req *getpaid.CallbackRequest) map[string]*getpaid.CallbackRequest {
	out := map[string]*getpaid.CallbackRequest{}
	clone := func() *getpaid.CallbackRequest {
		c := *req
		c.Header = req.Header.Clone()
		c.Body = append([]byte(nil), req.Body...)
		return &c
	}
	body := clone()
	for i := len(body.Body) - 1; i >= 0; i-- {
		if b := body.Body[i]; b >= '1' && b <= '8' {
			body.Body[i]++
			break
		}
	}
	out["body changed"] = body
	return out
}
