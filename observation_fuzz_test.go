package getpaid_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// fuzzKinds are the observation kinds a script picks from; the last index
// past them is a kind no broker sends.
var fuzzKinds = []getpaid.Kind{
	getpaid.KindNone, getpaid.KindPending, getpaid.KindLocked, getpaid.KindCaptured,
	getpaid.KindFailed, getpaid.KindReleased, getpaid.KindRefundStarted, getpaid.KindRefunded,
	getpaid.KindRefundFailed, getpaid.KindAdvance,
}

// impliedStatuses is the status machine's rule written once as a function of
// a payment's money facts (and, where the facts alone cannot tell, the status
// before the last observation): the statuses p may be in.
func impliedStatuses(prev getpaid.Status, p *getpaid.Payment) []getpaid.Status {
	switch {
	// Nothing captured: the payment is waiting, holding, or ended without money.
	case p.Captured == 0 && p.Locked > 0:
		return []getpaid.Status{getpaid.StatusPreAuth}
	case p.Captured == 0 && p.Advance > 0:
		// An advance is never paid; it is money a buyer paid, so it moves
		// an ended payment too.
		return []getpaid.Status{getpaid.StatusChargeStarted}
	case p.Captured == 0 && (prev == getpaid.StatusFailed || prev == getpaid.StatusCancelled):
		return []getpaid.Status{prev} // only money moves an ended payment
	case p.Captured == 0 && prev == getpaid.StatusPreAuth:
		return []getpaid.Status{getpaid.StatusFailed, getpaid.StatusCancelled} // the hold ended
	case p.Captured == 0:
		return []getpaid.Status{getpaid.StatusNew, getpaid.StatusPrepared, getpaid.StatusChargeStarted,
			getpaid.StatusFailed, getpaid.StatusCancelled}
	// Money was captured: refunds first, then how much was captured.
	case p.RefundAsked > 0:
		return []getpaid.Status{getpaid.StatusRefundStarted}
	case p.Refunded == p.Captured:
		return []getpaid.Status{getpaid.StatusRefunded}
	case p.Refunded > 0:
		return []getpaid.Status{getpaid.StatusPartiallyRefunded}
	case p.Captured == p.Amount.Minor:
		return []getpaid.Status{getpaid.StatusPaid}
	case p.Locked > 0:
		return []getpaid.Status{getpaid.StatusPreAuth} // the rest is still held
	default:
		return []getpaid.Status{getpaid.StatusPartiallyPaid}
	}
}

// checkInvariants reports what in p breaks the money invariants.
func checkInvariants(p *getpaid.Payment) error {
	switch {
	case p.Refunded < 0 || p.Refunded > p.Captured || p.Captured > p.Amount.Minor:
		return fmt.Errorf("want 0 <= refunded %d <= captured %d <= amount %d", p.Refunded, p.Captured, p.Amount.Minor)
	case p.Locked < 0 || p.Locked > p.Amount.Minor-p.Captured:
		return fmt.Errorf("want 0 <= locked %d <= amount %d - captured %d", p.Locked, p.Amount.Minor, p.Captured)
	case p.RefundAsked < 0 || p.RefundAsked > p.Captured-p.Refunded:
		return fmt.Errorf("want 0 <= refund asked %d <= captured %d - refunded %d", p.RefundAsked, p.Captured, p.Refunded)
	case p.Advance < 0:
		return fmt.Errorf("negative advance %d", p.Advance)
	}
	return nil
}

// fuzzObservation decodes one 4-byte step of a script into an observation
// about p. Amounts are mostly picked relative to p's facts (the whole amount,
// what is captured, refundable, held...) give or take a little, so that the
// edges of every check are reached.
func fuzzObservation(p *getpaid.Payment, step []byte) *getpaid.Observation {
	kindB, amountB, flags, raw := step[0], step[1], step[2], step[3]
	o := &getpaid.Observation{Kind: getpaid.Kind("bogus")}
	if i := int(kindB) % (len(fuzzKinds) + 1); i < len(fuzzKinds) {
		o.Kind = fuzzKinds[i]
	}
	var amount int64
	switch amountB % 8 {
	case 0:
		amount = int64(raw)
	case 1:
		amount = p.Amount.Minor
	case 2:
		amount = p.Captured
	case 3:
		amount = p.Captured - p.Refunded
	case 4:
		amount = p.Amount.Minor - p.Captured
	case 5:
		amount = p.RefundAsked
	case 6:
		amount = -int64(raw)
	case 7:
		amount = p.Locked
	}
	if amountB%8 != 0 && amountB%8 != 6 {
		amount += int64((amountB>>3)%5) - 2 // -2 .. +2
	}
	cur := p.Amount.Currency
	switch (flags >> 2) & 3 {
	case 2:
		cur = "EUR"
		if p.Amount.Currency == "EUR" {
			cur = "PLN"
		}
	case 3:
		cur = ""
	}
	o.Amount = getpaid.Money{Minor: amount, Currency: cur}
	o.Full = flags&1 != 0
	o.ReleaseRest = flags&2 != 0
	if n := (flags >> 4) & 7; n != 0 {
		o.EventID = fmt.Sprintf("evt-%d", n)
	}
	if flags&0x80 != 0 {
		o.ExternalID = fmt.Sprintf("ext-%d", raw%4)
	}
	return o
}

// FuzzApply applies random sequences of broker observations to a payment and
// checks that the status machine keeps its invariants after every step:
// money facts within bounds, no forbidden transition, nothing touched by a
// refused or no-op observation, the status the one the facts imply, and
// cumulative facts idempotent. Seeds (testdata/fuzz/FuzzApply) are named
// after the story they tell; refund-failed-negative is the input that found
// a refund_failed of a negative amount cancelling every pending refund,
// and advance-after-failure the first run of the rule that records it.
func FuzzApply(f *testing.F) {
	f.Fuzz(func(t *testing.T, amount int64, start uint8, script []byte) {
		if amount < 0 {
			amount = -(amount + 1) // 0 .. MaxInt64
		}
		if amount == 0 {
			amount = 1
		}
		status := getpaid.StatusNew
		if start%2 == 1 {
			status = getpaid.StatusPrepared
		}
		cur := "PLN"
		if start&2 != 0 {
			cur = "JPY"
		}
		p := &getpaid.Payment{ID: "pay_fuzz", OrderID: "o", Backend: "b", Status: status,
			Amount: getpaid.Money{Minor: amount, Currency: cur}, Version: 1}
		for i := 0; i+4 <= len(script); i += 4 {
			o := fuzzObservation(p, script[i:i+4])
			before := *p
			changed, err := getpaid.Apply(p, o)
			if err != nil && changed {
				t.Fatalf("step %d %+v: changed and error %v", i/4, o, err)
			}
			if (err != nil || !changed) && *p != before {
				t.Fatalf("step %d %+v (changed=%v, err=%v) touched the payment:\nbefore %+v\nafter  %+v", i/4, o, changed, err, before, *p)
			}
			if changed && *p == before {
				t.Fatalf("step %d %+v: changed=true but nothing changed", i/4, o)
			}
			if changed && !fitsPayment(before.Amount, o) {
				t.Fatalf("step %d: %+v applied to a payment of %s", i/4, o, before.Amount)
			}
			if err := checkInvariants(p); err != nil {
				t.Fatalf("step %d %+v from %+v: %v", i/4, o, before, err)
			}
			if p.Status != before.Status && !getpaid.CanTransition(before.Status, p.Status) {
				t.Fatalf("step %d %+v: forbidden transition %s -> %s", i/4, o, before.Status, p.Status)
			}
			if want := impliedStatuses(before.Status, p); !slices.Contains(want, p.Status) {
				t.Fatalf("step %d %+v from %+v: status %s, facts imply %v (%+v)", i/4, o, before, p.Status, want, *p)
			}
			if p.ID != before.ID || p.Amount != before.Amount || p.Version != before.Version ||
				(before.ExternalID != "" && p.ExternalID != before.ExternalID && !switchesExternalID(&before, o, p)) {
				t.Fatalf("step %d %+v: Apply changed what is not its to change: %+v -> %+v", i/4, o, before, *p)
			}
			// A cumulative fact repeated changes nothing: a broker saying it
			// twice never counts money twice.
			if changed && repeatable(o.Kind) {
				after := *p
				again, err := getpaid.Apply(p, o)
				if again || *p != after {
					t.Fatalf("step %d %+v repeated: changed=%v err=%v, %+v -> %+v", i/4, o, again, err, after, *p)
				}
			}
		}
	})
}

// fitsPayment reports whether o's amount may count on a payment of amount:
// in its currency and not negative, for the kinds whose amount counts (a
// refund_failed of zero means "every pending refund", in no currency).
func fitsPayment(amount getpaid.Money, o *getpaid.Observation) bool {
	switch o.Kind {
	case getpaid.KindNone, getpaid.KindPending, getpaid.KindFailed, getpaid.KindReleased:
		return true
	case getpaid.KindRefundFailed:
		if o.Amount.Minor == 0 {
			return true
		}
	}
	return o.Amount.Minor >= 0 && o.Amount.Currency == amount.Currency
}

// repeatable reports whether an observation of kind k is a state, not a
// delta: applying it twice is applying it once. Refund deltas are made
// idempotent by their event ids, in the store.
func repeatable(k getpaid.Kind) bool {
	switch k {
	case getpaid.KindPending, getpaid.KindLocked, getpaid.KindCaptured, getpaid.KindFailed,
		getpaid.KindReleased, getpaid.KindAdvance:
		return true
	}
	return false
}

// A refund failure whose amount is not one of the payment's (another
// currency, negative) is refused and cancels no pending refund; zero still
// means every pending refund. (FuzzApply found the negative case.)
func TestApplyRefundFailedAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		amount getpaid.Money
		err    error
		asked  int64
		status getpaid.Status
	}{
		{"same currency", pln(30), nil, 70, getpaid.StatusRefundStarted},
		{"zero means all", getpaid.Money{}, nil, 0, getpaid.StatusPaid},
		{"another currency", getpaid.Money{Minor: 30, Currency: "EUR"}, getpaid.ErrAmountMismatch, 100, getpaid.StatusRefundStarted},
		{"negative", pln(-1), getpaid.ErrAmountMismatch, 100, getpaid.StatusRefundStarted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &getpaid.Payment{ID: "pay_1", Status: getpaid.StatusRefundStarted, Amount: pln(100), Captured: 100, RefundAsked: 100}
			_, err := getpaid.Apply(p, &getpaid.Observation{Kind: getpaid.KindRefundFailed, Amount: tt.amount, EventID: "rf"})
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if p.RefundAsked != tt.asked || p.Status != tt.status {
				t.Fatalf("asked %d status %s, want %d %s", p.RefundAsked, p.Status, tt.asked, tt.status)
			}
		})
	}
}

// switchesExternalID reports whether Apply may have replaced before's
// broker id with o's: the transaction that paid the payment (its first
// capture), or whose advance waits, is the payment's.
func switchesExternalID(before *getpaid.Payment, o *getpaid.Observation, after *getpaid.Payment) bool {
	return (o.Kind == getpaid.KindCaptured || o.Kind == getpaid.KindAdvance) && before.Captured == 0 &&
		o.ExternalID != "" && after.ExternalID == o.ExternalID
}
