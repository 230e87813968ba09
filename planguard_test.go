package getpaid_test

import (
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// The package says statuses change only inside Store.UpdatePayment, checked
// against one transition table. getpaid.Apply checks it, but PlanUpdate,
// which every store runs for every mutation, did not: a mutation that set
// the status itself (a shop "marking a payment paid" through the public
// Store, or an engine path not going through Apply) was written as it came,
// new -> refunded, paid -> new, or a status that is none of the eleven.
// PlanUpdate now refuses such a change with a *TransitionError.
func TestPlanUpdateChecksTheTransitionTable(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pay := func(s getpaid.Status, captured int64) *getpaid.Payment {
		return &getpaid.Payment{ID: "pay_1", OrderID: "o", Backend: "dummy", Status: s,
			Amount: getpaid.MustParseMoney("10.00", "PLN"), Captured: captured, Version: 3, CreatedAt: now, UpdatedAt: now}
	}
	set := func(to getpaid.Status) getpaid.Mutation {
		return getpaid.Mutation{Cause: "by hand", Apply: func(p *getpaid.Payment) (bool, error) {
			p.Status = to
			return true, nil
		}}
	}
	for _, tc := range []struct {
		name    string
		cur     *getpaid.Payment
		to      getpaid.Status
		allowed bool
	}{
		{"new -> prepared", pay(getpaid.StatusNew, 0), getpaid.StatusPrepared, true},
		{"paid -> refund_started", pay(getpaid.StatusPaid, 1000), getpaid.StatusRefundStarted, true},
		{"same status, other facts", pay(getpaid.StatusPaid, 1000), getpaid.StatusPaid, true},
		{"new -> refunded", pay(getpaid.StatusNew, 0), getpaid.StatusRefunded, false},
		{"paid -> new", pay(getpaid.StatusPaid, 1000), getpaid.StatusNew, false},
		{"paid -> failed", pay(getpaid.StatusPaid, 1000), getpaid.StatusFailed, false},
		{"not a status", pay(getpaid.StatusPrepared, 0), "settled", false},
	} {
		res, err := getpaid.PlanUpdate(tc.cur, nil, set(tc.to), now.Add(time.Second))
		var te *getpaid.TransitionError
		switch {
		case tc.allowed && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case !tc.allowed && (!errors.As(err, &te) || !errors.Is(err, getpaid.ErrForbiddenTransition)):
			t.Errorf("%s: planned %+v, err %v; want a *TransitionError", tc.name, res, err)
		case !tc.allowed && (te.From != tc.cur.Status || te.To != tc.to):
			t.Errorf("%s: TransitionError %s -> %s, want %s -> %s", tc.name, te.From, te.To, tc.cur.Status, tc.to)
		}
	}
}
