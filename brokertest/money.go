package brokertest

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// money runs the money operation cases: refunds, captures and releases
// through the engine, and the doubt cases at the broker.
func money(t *testing.T, newHarness func(t *testing.T) *Harness, newEnv func(t *testing.T, h *Harness) *env) {
	t.Run("refund", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if _, ok := h.Broker.(getpaid.Refunder); !ok {
			t.Skip("broker does not refund")
		}
		e := newEnv(t, h)
		p := paid(t, h, e, "refund")
		if _, err := e.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "refund-all"}); err != nil {
			t.Fatal(err)
		}
		q := e.waitStatus(t, p.ID, getpaid.StatusRefunded)
		if q.Refunded != h.Amount.Minor || q.RefundAsked != 0 {
			t.Fatalf("refunded %d asked %d, want %d", q.Refunded, q.RefundAsked, h.Amount.Minor)
		}
	})
	t.Run("partial refunds", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if _, ok := h.Broker.(getpaid.Refunder); !ok {
			t.Skip("broker does not refund")
		}
		e := newEnv(t, h)
		p := paid(t, h, e, "partial-refund")
		part := p.Money(h.Amount.Minor / 3)
		if _, err := e.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &part, IdempotencyKey: "refund-1"}); err != nil {
			t.Fatal(err)
		}
		q := e.waitStatus(t, p.ID, getpaid.StatusPartiallyRefunded)
		if q.Refunded != part.Minor {
			t.Fatalf("refunded %d, want %d", q.Refunded, part.Minor)
		}
		rest := p.Money(h.Amount.Minor - part.Minor)
		if _, err := e.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &rest, IdempotencyKey: "refund-2"}); err != nil {
			t.Fatal(err)
		}
		q = e.waitStatus(t, p.ID, getpaid.StatusRefunded)
		if q.Refunded != h.Amount.Minor {
			t.Fatalf("refunded %d, want %d", q.Refunded, h.Amount.Minor)
		}
		quiet(t, h)
		if n := countTo(e.history(t, p.ID), getpaid.StatusRefunded); n != 1 {
			t.Fatalf("%d transitions to refunded", n)
		}
	})
	t.Run("capture", func(t *testing.T) {
		t.Parallel()
		h, e, p := held(t, newHarness, newEnv, "capture")
		if _, err := e.eng.Capture(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "capture-all"}); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(t, p.ID, getpaid.StatusPaid)
		quiet(t, h)
		if q, _ := e.store.Payment(context.Background(), p.ID); q.Status != getpaid.StatusPaid || q.Captured != h.Amount.Minor || q.Locked != 0 {
			t.Fatalf("after capture: %s captured %d locked %d", q.Status, q.Captured, q.Locked)
		}
	})
	t.Run("partial capture", func(t *testing.T) {
		t.Parallel()
		h, e, p := held(t, newHarness, newEnv, "partial-capture")
		part := p.Money(h.Amount.Minor * 2 / 5)
		_, err := e.eng.Capture(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &part, IdempotencyKey: "capture-part"})
		if errors.Is(err, getpaid.ErrNotSupported) {
			t.Skip("broker captures whole holds only")
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.CaptureKeepsRest {
			// The rest stays held until it is released.
			quiet(t, h)
			q, _ := e.store.Payment(context.Background(), p.ID)
			if q.Status != getpaid.StatusPreAuth || q.Captured != part.Minor || q.Locked != h.Amount.Minor-part.Minor {
				t.Fatalf("after a partial capture: %s captured %d locked %d, want %d captured and the rest held", q.Status, q.Captured, q.Locked, part.Minor)
			}
			if _, err := e.eng.Release(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "release-rest"}); err != nil {
				t.Fatalf("release of the rest: %v", err)
			}
		}
		e.waitStatus(t, p.ID, getpaid.StatusPartiallyPaid)
		// Whatever the broker notifies afterwards confirms the capture
		// without counting it twice; the rest is released.
		quiet(t, h)
		q, _ := e.store.Payment(context.Background(), p.ID)
		if q.Status != getpaid.StatusPartiallyPaid || q.Captured != part.Minor || q.Locked != 0 {
			t.Fatalf("after a partial capture: %s captured %d locked %d, want %d captured", q.Status, q.Captured, q.Locked, part.Minor)
		}
	})
	t.Run("release", func(t *testing.T) {
		t.Parallel()
		h, e, p := held(t, newHarness, newEnv, "release")
		if _, ok := h.Broker.(getpaid.Releaser); !ok {
			t.Skip("broker does not release holds")
		}
		if _, err := e.eng.Release(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "release"}); err != nil {
			t.Fatal(err)
		}
		quiet(t, h)
		// cancelled, also when the broker's notification of the cancelled
		// order (PayU's CANCELED, which does not say who cancelled)
		// overtakes the answer to the release.
		q, _ := e.store.Payment(context.Background(), p.ID)
		if q.Status != getpaid.StatusCancelled || q.Captured != 0 || q.Locked != 0 {
			t.Fatalf("after release: %s captured %d locked %d", q.Status, q.Captured, q.Locked)
		}
	})
	for _, mode := range []string{"timeout-after", "timeout-before", "5xx"} {
		t.Run("refund in doubt "+mode, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			f, faults := h.Sim.(OperationFaulter)
			r, refunds := h.Broker.(getpaid.Refunder)
			of, fetches := h.Broker.(getpaid.OperationFetcher)
			if !faults || !refunds || !fetches {
				t.Skip("needs a refunding broker that looks operations up, and a simulator with operation faults")
			}
			e := newEnv(t, h)
			p := paid(t, h, e, "doubt")
			part := p.Money(h.Amount.Minor / 4)
			op := &getpaid.Operation{ID: getpaid.NewID("op"), PaymentID: p.ID, Kind: getpaid.OpRefund, Amount: part}
			f.SetOperationFault(mode)
			_, err := r.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: part, OperationID: op.ID})
			f.SetOperationFault("")
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || !be.Happened {
				t.Fatalf("err = %#v, want a BrokerError saying the refund may have happened", err)
			}
			o, err := of.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p, Operation: op})
			if mode != "timeout-after" {
				if !errors.Is(err, getpaid.ErrNotFound) {
					t.Fatalf("lookup of a refund the broker never made: %+v, %v; want ErrNotFound", o, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("lookup of the refund the broker made: %v", err)
			}
			if (o.Kind != getpaid.KindRefundStarted && o.Kind != getpaid.KindRefunded) || o.OperationID != op.ID || o.Amount != part {
				t.Fatalf("lookup: %+v, want the refund of %s for %s", o, part, op.ID)
			}
		})
	}
}

// held returns a payment whose funds the broker holds (pre_auth), skipping
// the case for brokers without pre-authorisation or capture.
func held(t *testing.T, newHarness func(t *testing.T) *Harness, newEnv func(t *testing.T, h *Harness) *env, order string) (*Harness, *env, *getpaid.Payment) {
	t.Helper()
	h := newHarness(t)
	if _, ok := h.Broker.(getpaid.Capturer); !ok || h.PreAuthOutcome == "" {
		t.Skip("broker has no pre-authorisation")
	}
	e := newEnv(t, h)
	p := e.pay(t, order)
	if err := h.Sim.Pay(context.Background(), p.Redirect, h.PreAuthOutcome); err != nil {
		t.Fatal(err)
	}
	q := e.waitStatus(t, p.ID, getpaid.StatusPreAuth)
	if q.Locked != h.Amount.Minor {
		t.Fatalf("hold of %d, want %d", q.Locked, h.Amount.Minor)
	}
	return h, e, q
}
