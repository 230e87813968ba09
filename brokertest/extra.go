package brokertest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// runExtra runs the cases some brokers bring (Tpay first): each needs an
// optional Harness field and is skipped without it.
func runExtra(t *testing.T, newHarness func(t *testing.T) *Harness, newEnv func(t *testing.T, h *Harness) *env) {
	t.Run("partial payment topped up", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if h.PartialNotification == nil {
			t.Skip("broker reports no partial payments")
		}
		e := newEnv(t, h)
		p := e.pay(t, "partial")
		part := getpaid.Money{Minor: max(1, h.Amount.Minor/2), Currency: h.Amount.Currency}
		req, err := h.PartialNotification(p, part)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			res, err := e.callback(req)
			if err != nil {
				t.Fatalf("partial notification %d: %v", i, err)
			}
			if (res.Outcome == getpaid.OutcomeApplied) != (i == 0) {
				t.Fatalf("partial notification %d: outcome %s", i, res.Outcome)
			}
		}
		got, _ := e.store.Payment(context.Background(), p.ID)
		if got.Status != getpaid.StatusPartiallyPaid || got.Captured != part.Minor {
			t.Fatalf("after a partial payment: %s, captured %d, want partially_paid %d", got.Status, got.Captured, part.Minor)
		}
		// The buyer pays the rest: the broker reports the whole amount.
		full, err := h.PaidNotification(p, h.Amount)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := e.callback(full); err != nil || res.Outcome != getpaid.OutcomeApplied {
			t.Fatalf("top-up: %v, %v", res, err)
		}
		if got, _ := e.store.Payment(context.Background(), p.ID); got.Status != getpaid.StatusPaid || got.Captured != h.Amount.Minor {
			t.Fatalf("after the top-up: %s, captured %d", got.Status, got.Captured)
		}
	})
	t.Run("refund made at the broker", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if h.PanelRefund == nil {
			t.Skip("broker reports no refunds made at the broker")
		}
		refundMadeAtBroker(t, h, newEnv(t, h))
	})
	t.Run("broker-specific tampering", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if h.Tamperings == nil {
			t.Skip("no broker-specific tamperings")
		}
		e := newEnv(t, h)
		p := e.pay(t, "tamper-extra")
		req, err := h.PaidNotification(p, h.Amount)
		if err != nil {
			t.Fatal(err)
		}
		for name, bad := range h.Tamperings(req) {
			if _, err := e.callback(bad); !errors.Is(err, getpaid.ErrSignatureInvalid) {
				t.Errorf("%s: err = %v, want ErrSignatureInvalid", name, err)
			}
		}
		e.unchanged(t, p, 1)
		if res, err := e.callback(req); err != nil || res.Outcome != getpaid.OutcomeApplied {
			t.Fatalf("the untampered notification after the tampered ones: %v, %v", res, err)
		}
	})
	t.Run("acknowledgement body", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if h.AckBody == nil {
			t.Skip("broker accepts any acknowledgement")
		}
		e := newEnv(t, h)
		p := e.pay(t, "ack")
		req, err := h.PaidNotification(p, h.Amount)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"applied", "duplicate"} {
			code, body := e.post(t, req)
			if code != http.StatusOK || !bytes.Equal(body, h.AckBody) {
				t.Fatalf("%s notification (%d) answered %d %q, want 200 %q", want, i, code, body, h.AckBody)
			}
		}
		bad := tamperings(req, nil)["body changed"].req
		if code, body := e.post(t, bad); code == http.StatusOK || bytes.Equal(body, h.AckBody) {
			t.Fatalf("a tampered notification was answered %d %q: the broker would not send it again", code, body)
		}
	})
}

// post sends a notification to getpaid over HTTP, as the broker does, and
// returns the answer.
func (e *env) post(t *testing.T, req *getpaid.CallbackRequest) (int, []byte) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, e.srv.URL+getpaid.CallbackPath+e.h.Name, bytes.NewReader(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	if req.Header != nil {
		r.Header = req.Header.Clone()
	}
	resp, err := e.srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// refundMadeAtBroker checks refunds made at the broker, outside getpaid (in
// its panel), and reported by notification: the simulator sends its own copy
// and the suite delivers the same notification again, in whichever order
// they arrive. A partial refund moves a paid payment to partially_refunded by
// its amount, once; a repeat changes nothing; the rest makes it refunded;
// and both notifications repeated after the whole amount went back are still
// duplicates, not refusals (the broker would send them again for ever).
func refundMadeAtBroker(t *testing.T, h *Harness, e *env) {
	t.Helper()
	p := paid(t, h, e, "panel-refund")
	part := getpaid.Money{Minor: max(1, h.Amount.Minor/3), Currency: h.Amount.Currency}
	first, err := h.PanelRefund(p, part)
	if err != nil {
		t.Fatal(err)
	}
	// The simulator's own delivery may have come first: applied or a
	// duplicate, but never refused.
	if _, err := e.callback(first); err != nil {
		t.Fatalf("refund notification: %v", err)
	}
	e.waitStatus(t, p.ID, getpaid.StatusPartiallyRefunded)
	quiet(t, h)
	replay := func(what string, req *getpaid.CallbackRequest) {
		t.Helper()
		if res, err := e.callback(req); err != nil || res.Outcome == getpaid.OutcomeApplied {
			t.Fatalf("%s: outcome %v, err %v; want a duplicate", what, res, err)
		}
	}
	replay("repeated refund notification", first)
	if got, _ := e.store.Payment(context.Background(), p.ID); got.Status != getpaid.StatusPartiallyRefunded || got.Refunded != part.Minor {
		t.Fatalf("after a refund of %s and repeats: %s, refunded %d", part, got.Status, got.Refunded)
	}
	rest := getpaid.Money{Minor: h.Amount.Minor - part.Minor, Currency: h.Amount.Currency}
	second, err := h.PanelRefund(p, rest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.callback(second); err != nil {
		t.Fatalf("refund of the rest: %v", err)
	}
	e.waitStatus(t, p.ID, getpaid.StatusRefunded)
	quiet(t, h)
	replay("first refund repeated after the whole amount went back", first)
	replay("second refund repeated", second)
	if got, _ := e.store.Payment(context.Background(), p.ID); got.Status != getpaid.StatusRefunded || got.Refunded != h.Amount.Minor || got.RefundAsked != 0 {
		t.Fatalf("after refunding everything: %s, refunded %d, asked %d", got.Status, got.Refunded, got.RefundAsked)
	}
	hist := e.history(t, p.ID)
	if countTo(hist, getpaid.StatusPartiallyRefunded) != 1 || countTo(hist, getpaid.StatusRefunded) != 1 {
		t.Fatalf("history %+v", hist)
	}
}
