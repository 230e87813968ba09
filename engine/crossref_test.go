package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A notification whose getpaid id names one payment and whose broker id is
// another payment's (PayU's orderId of payment A with extOrderId B) speaks
// of two payments at once: it is refused and neither changes, so B is not
// marked paid by what the broker said of A (django-getpaid: a payload naming
// a different payment is rejected). A broker id getpaid has not seen is a
// new transaction of the same payment (a Przelewy24 or Dotpay retry) and
// still counts.
func TestCallbackNamingTwoPaymentsIsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		kind    getpaid.Kind
		confirm bool
		ext     string // "other": payment A's broker id; else as given
		want    error
		status  getpaid.Status
	}{
		{"captured with another payment's broker id", getpaid.KindCaptured, false, "other", getpaid.ErrPaymentMismatch, getpaid.StatusPrepared},
		{"captured with another payment's broker id, confirming broker", getpaid.KindCaptured, true, "other", getpaid.ErrPaymentMismatch, getpaid.StatusPrepared},
		{"failed with another payment's broker id", getpaid.KindFailed, false, "other", getpaid.ErrPaymentMismatch, getpaid.StatusPrepared},
		{"captured with a broker id never seen", getpaid.KindCaptured, false, "TR-NEW", nil, getpaid.StatusPaid},
		{"captured with its own broker id", getpaid.KindCaptured, false, "", nil, getpaid.StatusPaid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			var b getpaid.Broker = fb
			cc := &countingConfirmer{fakeBroker: fb}
			if tc.confirm {
				b = cc
			}
			e := newEngine(t, b, memory.New())
			ctx := context.Background()
			a, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-a", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-b", Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			ext := tc.ext
			switch ext {
			case "other":
				ext = a.ExternalID
			case "":
				ext = p.ExternalID
			}
			fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: "ev-1", Kind: tc.kind,
				Amount: p.Amount, Full: true}
			_, err = e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("callback: %v, want %v", err, tc.want)
			}
			for _, x := range []struct {
				id   string
				want getpaid.Status
			}{{p.ID, tc.status}, {a.ID, getpaid.StatusPrepared}} {
				q, err := e.Payment(ctx, x.id)
				if err != nil {
					t.Fatal(err)
				}
				if q.Status != x.want {
					t.Errorf("payment %s: %s, want %s", x.id, q.Status, x.want)
				}
			}
			if tc.want != nil {
				if q, _ := e.Payment(ctx, p.ID); q.ExternalID != p.ExternalID {
					t.Errorf("broker id of the payment became %q, want %q", q.ExternalID, p.ExternalID)
				}
				if n := cc.n.Load(); n != 0 {
					t.Errorf("the refused fact was confirmed with the broker %d times", n)
				}
			}
		})
	}
}

// countingConfirmer is fakeBroker with a confirmation step that counts its
// calls (Przelewy24's verify).
type countingConfirmer struct {
	*fakeBroker
	n atomic.Int64
}

func (c *countingConfirmer) ConfirmCallback(context.Context, *getpaid.ConfirmRequest) error {
	c.n.Add(1)
	return nil
}

// A refund's notification that names getpaid's refund operation of payment
// A (Dotpay echoes the operation id as control, Przelewy24 the requestId)
// and, as the payment it refunds, payment B (Dotpay's
// operation_related_number, Przelewy24's sessionId and orderId) speaks of two
// payments: it is refused as a notification whose control names A and whose
// related number names B is, and neither payment nor the operation changes.
// It was counted as a refund of B nobody asked for, while A's refund stayed
// under way.
func TestRefundNamingAnotherPaymentsOperationIsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		ext      string // "a" or "b": whose broker id the refund names
		pid      string // "b": it names payment B by getpaid's id too (Przelewy24's sessionId)
		want     error
		refundsA int64
		refundsB int64
	}{
		{"related number of another payment", "b", "", getpaid.ErrPaymentMismatch, 0, 0},
		{"session and order of another payment", "b", "b", getpaid.ErrPaymentMismatch, 0, 0},
		{"related number of the operation's payment", "a", "", nil, 400, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			e := newEngine(t, fb, memory.New())
			ctx := context.Background()
			paid := func(order string) *getpaid.Payment {
				p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: order, Backend: "fake", Amount: getpaid.MustParseMoney("10.00", "PLN")})
				if err != nil {
					t.Fatal(err)
				}
				fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "paid:" + p.ID,
					Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true}
				if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
					t.Fatal(err)
				}
				return p
			}
			a, b := paid("o-a"), paid("o-b")
			four := getpaid.MustParseMoney("4.00", "PLN")
			res, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: a.ID, Amount: &four, IdempotencyKey: "r1"})
			if err != nil || res.Operation == nil || res.Operation.State.Final() {
				t.Fatalf("refund: %+v %v; want it under way", res, err)
			}
			ext := a.ExternalID
			if tc.ext == "b" {
				ext = b.ExternalID
			}
			pid := ""
			if tc.pid == "b" {
				pid = b.ID
			}
			fb.obs = &getpaid.Observation{PaymentID: pid, OperationID: res.Operation.ID, ExternalID: ext, BrokerRef: "M-2",
				EventID: "M-2:completed", Kind: getpaid.KindRefunded, Amount: four}
			_, err = e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("callback: %v, want %v", err, tc.want)
			}
			for _, x := range []struct {
				id   string
				want int64
			}{{a.ID, tc.refundsA}, {b.ID, tc.refundsB}} {
				q, err := e.Payment(ctx, x.id)
				if err != nil {
					t.Fatal(err)
				}
				if q.Refunded != x.want {
					t.Errorf("payment %s: refunded %d, want %d", x.id, q.Refunded, x.want)
				}
			}
			op, err := e.Operation(ctx, res.Operation.ID)
			if err != nil {
				t.Fatal(err)
			}
			if final := op.State.Final(); final != (tc.want == nil) {
				t.Errorf("operation %s, want it ended: %v", op.State, tc.want == nil)
			}
		})
	}
}
