package payu_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

// PENDING is delivered before the outcome when the simulator is realistic.
func TestPendingThenCompleted(t *testing.T) {
	t.Parallel()
	e := newEnvRaw(t, payutest.Config{}, nil)
	p := e.payment("12.34", "EUR")
	pr := e.prepare(t, p)
	if err := e.sim.Pay(context.Background(), pr.Redirect, payutest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	if o := e.next(t, p); o.Kind != getpaid.KindPending || p.Status != getpaid.StatusChargeStarted {
		t.Fatalf("first: %+v, %s", o, p.Status)
	}
	if o := e.next(t, p); o.Kind != getpaid.KindCaptured || p.Status != getpaid.StatusPaid {
		t.Fatalf("second: %+v, %s", o, p.Status)
	}
}

// Duplicates, late and conflicting notifications, tampering and wrong amounts,
// built with the simulator's Notification and applied like the engine would.
func TestReplayedTamperedAndWrongNotifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, payutest.Config{}, nil)
	p := e.payment("10.00", "PLN")
	pr := e.prepare(t, p)
	_ = e.sim.Pay(ctx, pr.Redirect, payutest.OutcomePaid)
	e.next(t, p)
	if p.Status != getpaid.StatusPaid {
		t.Fatalf("status %s", p.Status)
	}
	tests := []struct {
		name                 string
		status, amount, cur  string
		tamper               bool
		wantParse, wantApply error
	}{
		{"duplicate COMPLETED", payu.StatusCompleted, "", "", false, nil, nil},
		{"late PENDING", payu.StatusPending, "", "", false, nil, nil},
		{"CANCELED after paid", payu.StatusCanceled, "", "", false, nil, nil},
		{"tampered body", payu.StatusCompleted, "", "", true, getpaid.ErrSignatureInvalid, nil},
		{"lower amount: nothing new", payu.StatusCompleted, "999", "", false, nil, nil},
		{"amount above the payment", payu.StatusCompleted, "1001", "", false, nil, getpaid.ErrAmountMismatch},
		{"wrong currency", payu.StatusCompleted, "", "EUR", false, nil, getpaid.ErrAmountMismatch},
	}
	for _, tc := range tests {
		req, err := e.sim.Notification(p.ExternalID, tc.status, tc.amount, tc.cur)
		if err != nil {
			t.Fatal(err)
		}
		if tc.tamper {
			req.Body[len(req.Body)-2] ^= 1
		}
		o, err := e.b.ParseCallback(ctx, req)
		if !errors.Is(err, tc.wantParse) {
			t.Fatalf("%s: parse err = %v", tc.name, err)
		}
		if err != nil {
			continue
		}
		before := *p
		changed, err := getpaid.Apply(p, o)
		if !errors.Is(err, tc.wantApply) || changed || *p != before {
			t.Fatalf("%s: changed=%v err=%v status %s", tc.name, changed, err, p.Status)
		}
	}
}
