package getpaid_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/getpaid-go/getpaid"
)

func pln(minor int64) getpaid.Money { return getpaid.Money{Minor: minor, Currency: "PLN"} }

type step struct {
	obs     getpaid.Observation
	changed bool
	err     error
}

func TestApply(t *testing.T) {
	t.Parallel()
	captured := func(m int64, full bool) getpaid.Observation {
		return getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(m), Full: full}
	}
	locked := func(m int64) getpaid.Observation {
		return getpaid.Observation{Kind: getpaid.KindLocked, Amount: pln(m)}
	}
	kind := func(k getpaid.Kind, m int64) getpaid.Observation {
		return getpaid.Observation{Kind: k, Amount: pln(m), EventID: fmt.Sprintf("%s-%d", k, m)}
	}
	tests := []struct {
		name     string
		steps    []step
		status   getpaid.Status
		captured int64
		locked   int64
		refunded int64
	}{
		{"paid", []step{{captured(100, true), true, nil}}, getpaid.StatusPaid, 100, 0, 0},
		{"failed", []step{{kind(getpaid.KindFailed, 0), true, nil}}, getpaid.StatusFailed, 0, 0, 0},
		{"pre-auth locks the required amount", []step{{locked(100), true, nil}}, getpaid.StatusPreAuth, 0, 100, 0},
		{"partially paid", []step{{captured(40, false), true, nil}}, getpaid.StatusPartiallyPaid, 40, 0, 0},
		// Paid is the whole amount, to the minor unit.
		{"a capture one minor unit short is partially paid", []step{{captured(99, false), true, nil}}, getpaid.StatusPartiallyPaid, 99, 0, 0},
		{"a capture one minor unit short of a hold leaves that unit held", []step{{locked(100), true, nil}, {captured(99, false), true, nil}}, getpaid.StatusPreAuth, 99, 1, 0},
		{"paid claim with wrong amount refused", []step{{captured(90, true), false, getpaid.ErrAmountMismatch}}, getpaid.StatusPrepared, 0, 0, 0},
		{"wrong currency refused", []step{{getpaid.Observation{Kind: getpaid.KindCaptured, Amount: getpaid.Money{Minor: 100, Currency: "EUR"}, Full: true}, false, getpaid.ErrAmountMismatch}}, getpaid.StatusPrepared, 0, 0, 0},
		// Tpay's accepted underpayment names the transaction's amount
		// apart from what was paid: a transaction of another amount is
		// not this payment's.
		{"partial capture of a transaction of another amount refused", []step{{getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(40), PaymentAmount: pln(50)}, false, getpaid.ErrAmountMismatch}}, getpaid.StatusPrepared, 0, 0, 0},
		{"partial capture of a transaction of the payment's amount", []step{{getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(40), PaymentAmount: pln(100)}, true, nil}}, getpaid.StatusPartiallyPaid, 40, 0, 0},
		{"failure of a transaction of another amount refused", []step{{getpaid.Observation{Kind: getpaid.KindFailed, PaymentAmount: pln(50)}, false, getpaid.ErrAmountMismatch}}, getpaid.StatusPrepared, 0, 0, 0},
		{"transaction amount in another currency refused", []step{{getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(40), PaymentAmount: getpaid.Money{Minor: 100, Currency: "EUR"}}, false, getpaid.ErrAmountMismatch}}, getpaid.StatusPrepared, 0, 0, 0},
		// PayU completes an order for less than the payment only by a
		// partial capture of a hold (HoldFirst).
		{"hold-first capture of less without a hold refused", []step{{getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(40), ReleaseRest: true, HoldFirst: true}, false, getpaid.ErrAmountMismatch}}, getpaid.StatusPrepared, 0, 0, 0},
		{"hold-first capture of the whole amount without a hold", []step{{getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(100), ReleaseRest: true, HoldFirst: true}, true, nil}}, getpaid.StatusPaid, 100, 0, 0},
		{"hold-first capture of less out of a hold", []step{{locked(100), true, nil}, {getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(40), ReleaseRest: true, HoldFirst: true}, true, nil}}, getpaid.StatusPartiallyPaid, 40, 0, 0},
		{"hold-first capture confirming a partial capture", []step{{locked(100), true, nil}, {getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(40), ReleaseRest: true}, true, nil}, {getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(40), ReleaseRest: true, HoldFirst: true}, false, nil}}, getpaid.StatusPartiallyPaid, 40, 0, 0},
		// PayU does not say that a partly captured order's totalAmount
		// becomes what was captured: its COMPLETED may state the order's
		// whole amount. The rest of the hold was released with the partial
		// capture, so nothing more can have been captured.
		{"hold-first capture restating the whole amount after a partial capture", []step{{locked(100), true, nil}, {getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(40), ReleaseRest: true}, true, nil}, {getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(100), ReleaseRest: true, HoldFirst: true}, false, nil}}, getpaid.StatusPartiallyPaid, 40, 0, 0},
		{"over-capture refused", []step{{captured(101, false), false, getpaid.ErrAmountMismatch}}, getpaid.StatusPrepared, 0, 0, 0},
		// Money captured is never undone by a late failure: part of the
		// hold captured, the rest still held.
		{"a failure after part of a hold was captured changes nothing", []step{{locked(100), true, nil}, {captured(30, false), true, nil}, {kind(getpaid.KindFailed, 0), false, nil}}, getpaid.StatusPreAuth, 30, 70, 0},
		{"late failed after paid changes nothing", []step{{captured(100, true), true, nil}, {kind(getpaid.KindFailed, 0), false, nil}}, getpaid.StatusPaid, 100, 0, 0},
		{"repeated paid is a no-op", []step{{captured(100, true), true, nil}, {captured(100, true), false, nil}}, getpaid.StatusPaid, 100, 0, 0},
		{"cumulative 40 then 100 progresses", []step{{captured(40, false), true, nil}, {captured(100, false), true, nil}}, getpaid.StatusPaid, 100, 0, 0},
		{"lower cumulative capture is a no-op", []step{{captured(60, false), true, nil}, {captured(40, false), false, nil}}, getpaid.StatusPartiallyPaid, 60, 0, 0},
		{"lock 100, capture 30, capture 70", []step{{locked(100), true, nil}, {captured(30, false), true, nil}, {captured(100, false), true, nil}}, getpaid.StatusPaid, 100, 0, 0},
		{"lock 100, capture 30, release", []step{{locked(100), true, nil}, {captured(30, false), true, nil}, {kind(getpaid.KindReleased, 0), true, nil}}, getpaid.StatusPartiallyPaid, 30, 0, 0},
		{"release with nothing captured", []step{{locked(100), true, nil}, {kind(getpaid.KindReleased, 0), true, nil}}, getpaid.StatusCancelled, 0, 0, 0},
		{"hold above the amount refused", []step{{locked(150), false, getpaid.ErrAmountMismatch}}, getpaid.StatusPrepared, 0, 0, 0},
		{"full refund", []step{{captured(100, true), true, nil}, {kind(getpaid.KindRefunded, 100), true, nil}}, getpaid.StatusRefunded, 100, 0, 100},
		{"partial refund", []step{{captured(100, true), true, nil}, {kind(getpaid.KindRefunded, 30), true, nil}}, getpaid.StatusPartiallyRefunded, 100, 0, 30},
		{"partial refunds down to zero", []step{{captured(100, true), true, nil}, {kind(getpaid.KindRefunded, 30), true, nil}, {kind(getpaid.KindRefunded, 70), true, nil}}, getpaid.StatusRefunded, 100, 0, 100},
		{"refund above paid minus refunded refused", []step{{captured(100, true), true, nil}, {kind(getpaid.KindRefunded, 60), true, nil}, {kind(getpaid.KindRefunded, 50), false, getpaid.ErrAmountMismatch}}, getpaid.StatusPartiallyRefunded, 100, 0, 60},
		// What is refundable is captured minus refunded minus the refunds
		// still pending at the broker.
		{"refund above what pending refunds leave refused", []step{{captured(100, true), true, nil}, {kind(getpaid.KindRefunded, 30), true, nil}, {kind(getpaid.KindRefundStarted, 50), true, nil}, {kind(getpaid.KindRefundStarted, 21), false, getpaid.ErrAmountMismatch}}, getpaid.StatusRefundStarted, 100, 0, 30},
		{"refund of exactly what pending refunds leave", []step{{captured(100, true), true, nil}, {kind(getpaid.KindRefunded, 30), true, nil}, {kind(getpaid.KindRefundStarted, 50), true, nil}, {kind(getpaid.KindRefundStarted, 20), true, nil}}, getpaid.StatusRefundStarted, 100, 0, 30},
		{"refund cancelled goes back to paid", []step{{captured(100, true), true, nil}, {kind(getpaid.KindRefundStarted, 100), true, nil}, {kind(getpaid.KindRefundFailed, 100), true, nil}}, getpaid.StatusPaid, 100, 0, 0},
		// Issue 9: every broker fact about money is recorded, whatever the status.
		{"a capture reported while a refund is pending is recorded", []step{{captured(50, false), true, nil}, {kind(getpaid.KindRefundStarted, 50), true, nil}, {captured(100, false), true, nil}}, getpaid.StatusRefundStarted, 100, 0, 0},
		{"partially paid, refunded, then more captured: partially refunded", []step{{captured(50, false), true, nil}, {kind(getpaid.KindRefunded, 50), true, nil}, {captured(100, false), true, nil}}, getpaid.StatusPartiallyRefunded, 100, 0, 50},
		{"a hold reported after a failure is recorded", []step{{kind(getpaid.KindFailed, 0), true, nil}, {locked(100), true, nil}}, getpaid.StatusPreAuth, 0, 100, 0},
		// PayU's CANCELED is final: its hold delivered after it is stale.
		{"a hold after a final failure changes nothing", []step{{locked(100), true, nil}, {kind(getpaid.KindFailed, 0), true, nil},
			{getpaid.Observation{Kind: getpaid.KindLocked, Amount: pln(100), FinalFailure: true}, false, nil}}, getpaid.StatusFailed, 0, 0, 0},
		{"a hold before a final failure is recorded", []step{{getpaid.Observation{Kind: getpaid.KindLocked, Amount: pln(100), FinalFailure: true}, true, nil}}, getpaid.StatusPreAuth, 0, 100, 0},
		{"partial capture releasing the rest", []step{{locked(100), true, nil}, {getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(30), ReleaseRest: true}, true, nil}}, getpaid.StatusPartiallyPaid, 30, 0, 0},
		// A broker's word that it released the rest of a hold, with a
		// capture already recorded (an operator resolved the capture as
		// done; PayU's COMPLETED then came): the rest is released, not
		// left held for good with nothing able to release it.
		{"capture recorded, then the broker says it released the rest", []step{{locked(100), true, nil}, {captured(30, false), true, nil}, {getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(30), ReleaseRest: true}, true, nil}}, getpaid.StatusPartiallyPaid, 30, 0, 0},
		{"a lower capture releasing the rest is a no-op", []step{{locked(100), true, nil}, {captured(30, false), true, nil}, {getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(20), ReleaseRest: true}, false, nil}}, getpaid.StatusPreAuth, 30, 70, 0},
		{"repeated capture releasing the rest is a no-op", []step{{locked(100), true, nil}, {getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(30), ReleaseRest: true}, true, nil}, {getpaid.Observation{Kind: getpaid.KindCaptured, Amount: pln(30), ReleaseRest: true}, false, nil}}, getpaid.StatusPartiallyPaid, 30, 0, 0},
		{"refunds 30 then 70", []step{{captured(100, true), true, nil}, {kind(getpaid.KindRefundStarted, 30), true, nil}, {kind(getpaid.KindRefunded, 30), true, nil}, {kind(getpaid.KindRefundStarted, 70), true, nil}, {kind(getpaid.KindRefunded, 70), true, nil}}, getpaid.StatusRefunded, 100, 0, 100},
		{"refund of an unpaid payment forbidden", []step{{kind(getpaid.KindRefundStarted, 10), false, getpaid.ErrAmountMismatch}}, getpaid.StatusPrepared, 0, 0, 0},
		{"money after a failure is recorded", []step{{kind(getpaid.KindFailed, 0), true, nil}, {captured(100, true), true, nil}}, getpaid.StatusPaid, 100, 0, 0},
		{"pending then paid", []step{{kind(getpaid.KindPending, 0), true, nil}, {captured(100, true), true, nil}}, getpaid.StatusPaid, 100, 0, 0},
		{"refund without an event id refused", []step{{captured(100, true), true, nil}, {getpaid.Observation{Kind: getpaid.KindRefunded, Amount: pln(10)}, false, getpaid.ErrMalformedCallback}}, getpaid.StatusPaid, 100, 0, 0},
		{"capture after a release is recorded", []step{{locked(100), true, nil}, {kind(getpaid.KindReleased, 0), true, nil}, {captured(100, true), true, nil}}, getpaid.StatusPaid, 100, 0, 0},
		// Issue 11: money a buyer paid is never dropped, also when the
		// broker holds another amount (a Przelewy24 advance) after the
		// payment failed or expired: it waits for an operator.
		{"an advance reported after a failure is recorded", []step{{kind(getpaid.KindFailed, 0), true, nil}, {kind(getpaid.KindAdvance, 50), true, nil}}, getpaid.StatusChargeStarted, 0, 0, 0},
		{"an advance reported after expiry is recorded", []step{{kind(getpaid.KindReleased, 0), true, nil}, {kind(getpaid.KindAdvance, 50), true, nil}}, getpaid.StatusChargeStarted, 0, 0, 0},
		{"nothing new", []step{{getpaid.Observation{Kind: getpaid.KindNone}, false, nil}}, getpaid.StatusPrepared, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &getpaid.Payment{ID: "pay_1", Status: getpaid.StatusPrepared, Amount: pln(100)}
			for i, s := range tt.steps {
				changed, err := getpaid.Apply(p, &s.obs)
				if s.err != nil {
					if !errors.Is(err, s.err) {
						t.Fatalf("step %d: err = %v, want %v", i, err, s.err)
					}
				} else if err != nil {
					t.Fatalf("step %d: unexpected error %v", i, err)
				}
				if changed != s.changed {
					t.Fatalf("step %d: changed = %v, want %v", i, changed, s.changed)
				}
			}
			if p.Status != tt.status || p.Captured != tt.captured || p.Locked != tt.locked || p.Refunded != tt.refunded {
				t.Fatalf("got %s captured=%d locked=%d refunded=%d; want %s %d %d %d",
					p.Status, p.Captured, p.Locked, p.Refunded, tt.status, tt.captured, tt.locked, tt.refunded)
			}
			if !(0 <= p.Refunded && p.Refunded <= p.Captured && p.Captured <= p.Amount.Minor && p.Locked <= p.Amount.Minor-p.Captured) {
				t.Fatalf("invariants broken: %+v", p)
			}
		})
	}
}

func TestMarkPreparedOnlyFromNew(t *testing.T) {
	t.Parallel()
	p := &getpaid.Payment{Status: getpaid.StatusPrepared}
	err := getpaid.MarkPrepared(p, "x", &getpaid.Redirect{Method: "GET", URL: "https://b.example"})
	var te *getpaid.TransitionError
	if !errors.As(err, &te) || !errors.Is(err, getpaid.ErrForbiddenTransition) {
		t.Fatalf("MarkPrepared on prepared: err = %v, want *TransitionError", err)
	}
}

type stubBroker struct{ cur []string }

func (s stubBroker) Currencies() []string { return s.cur }
func (stubBroker) Prepare(context.Context, *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	return nil, errors.New("stub")
}
func (stubBroker) ParseCallback(context.Context, *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	return nil, errors.New("stub")
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	a := getpaid.Backend{Name: "a", Broker: stubBroker{[]string{"PLN", "EUR"}}}
	b := getpaid.Backend{Name: "b", Title: "Bee", Broker: stubBroker{[]string{"JPY"}}}
	r, err := getpaid.NewRegistry(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.ForCurrency("JPY"); len(got) != 1 || got[0].Name != "b" {
		t.Errorf("ForCurrency(JPY) = %v", got)
	}
	if got := r.ForCurrency("USD"); len(got) != 0 {
		t.Errorf("ForCurrency(USD) = %v", got)
	}
	if g, _ := r.Get("a"); g.Title != "a" {
		t.Errorf("title defaults to name, got %q", g.Title)
	}
	bad := []struct {
		name string
		list []getpaid.Backend
	}{
		{"malformed name", []getpaid.Backend{{Name: "Bad Name", Broker: stubBroker{}}}},
		{"duplicate", []getpaid.Backend{a, a}},
		{"no broker", []getpaid.Backend{{Name: "x"}}},
		{"unknown currency", []getpaid.Backend{{Name: "x", Broker: stubBroker{[]string{"ZZZ"}}}}},
		{"currency listed twice", []getpaid.Backend{{Name: "x", Broker: stubBroker{[]string{"PLN", "EUR", "PLN"}}}}},
	}
	for _, tt := range bad {
		if _, err := getpaid.NewRegistry(tt.list...); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

// A refund none of getpaid's pending refunds can be (one made in the
// broker's panel) is recorded without taking their reservations, as far as
// what is left allows; an ordinary refund takes its reservation back.
func TestApplyUnrequestedRefundKeepsReservations(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                 string
		asked, refund        int64 // a pending refund's reservation, the refund reported
		unrequested          bool
		wantAsked, wantRefnd int64
		wantStatus           getpaid.Status
	}{
		{"ordinary: the pending refund done", 3000, 3000, false, 0, 3000, getpaid.StatusPartiallyRefunded},
		{"panel refund beside a pending one", 3000, 5000, true, 3000, 5000, getpaid.StatusRefundStarted},
		{"panel refund leaving less than reserved", 3000, 8000, true, 2000, 8000, getpaid.StatusRefundStarted},
		{"panel refund of everything left", 3000, 10000, true, 0, 10000, getpaid.StatusRefunded},
		{"panel refund with nothing pending", 0, 5000, true, 0, 5000, getpaid.StatusPartiallyRefunded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status := getpaid.StatusPaid
			if tc.asked > 0 {
				status = getpaid.StatusRefundStarted
			}
			p := &getpaid.Payment{ID: "pay_1", Status: status, Amount: getpaid.MustParseMoney("100.00", "PLN"), Captured: 10000, RefundAsked: tc.asked}
			changed, err := getpaid.Apply(p, &getpaid.Observation{PaymentID: "pay_1", EventID: "r", Kind: getpaid.KindRefunded,
				Amount: getpaid.Money{Minor: tc.refund, Currency: "PLN"}, Unrequested: tc.unrequested})
			if err != nil || !changed {
				t.Fatalf("Apply = %v, %v", changed, err)
			}
			if p.RefundAsked != tc.wantAsked || p.Refunded != tc.wantRefnd || p.Status != tc.wantStatus {
				t.Errorf("asked %d refunded %d %s, want %d %d %s", p.RefundAsked, p.Refunded, p.Status, tc.wantAsked, tc.wantRefnd, tc.wantStatus)
			}
		})
	}
}
