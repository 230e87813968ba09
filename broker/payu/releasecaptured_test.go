package payu_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/memory"
)

// gate is the simulator's way to getpaid's notification URL, closed at will
// (getpaid unreachable: PayU retries).
type gate struct{ closed atomic.Bool }

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if g.closed.Load() {
		return nil, errors.New("getpaid unreachable")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A release that never reached PayU (in doubt), and the hold captured in
// PayU's panel before the reconciler looks, while PayU's notifications
// cannot get through: PayU's COMPLETED says the money was captured, not
// released. The release fails and the capture is recorded, in full or in
// part; the late COMPLETED notification then changes nothing. It had been
// taken for the release done: the payment cancelled holding nothing, and a
// part captured refused for good (a capture of less out of no hold).
func TestReleaseInDoubtButCaptured(t *testing.T) {
	t.Parallel()
	type howMuch struct {
		name   string
		amount int64
		status getpaid.Status
	}
	type when struct {
		name string
		// before settles things before the reconciler's last look:
		// open opens the way of notifications, later moves the clock.
		before func(open func(), later func(time.Duration), reconcile func())
	}
	var cases []struct {
		howMuch
		when
	}
	for _, a := range []howMuch{{"in full", 10000, getpaid.StatusPaid}, {"in part", 4000, getpaid.StatusPartiallyPaid}} {
		for _, w := range []when{
			{"reconciler first", func(open func(), later func(time.Duration), reconcile func()) {}},
			// The first check comes inside the window a release not done
			// may still arrive in: it records the capture, and the next
			// one decides.
			{"first check within the window", func(open func(), later func(time.Duration), reconcile func()) {
				later(15 * time.Second)
				reconcile()
			}},
			{"notification first", func(open func(), later func(time.Duration), reconcile func()) { open() }},
		} {
			cases = append(cases, struct {
				howMuch
				when
			}{a, w})
		}
	}
	for _, tt := range cases {
		t.Run(tt.howMuch.name+"/"+tt.when.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			g := &gate{}
			sim := payutest.Start(payutest.Config{SkipPending: true, HTTPClient: &http.Client{Transport: g, Timeout: 2 * time.Second},
				NotifyBackoff: 20 * time.Millisecond, NotifyMaxBackoff: 50 * time.Millisecond, NotifyAttempts: 200})
			t.Cleanup(sim.Close)
			c := sim.Config()
			b, err := payu.New(payu.Config{PosID: c.PosID, SecondKey: c.SecondKey, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
				APIURL: sim.URL(), Timeout: 500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "payu", Broker: b})
			if err != nil {
				t.Fatal(err)
			}
			var h atomic.Pointer[httpapi.Handler]
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) }))
			t.Cleanup(srv.Close)
			var later atomic.Int64
			eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: srv.URL,
				Now: func() time.Time { return time.Now().Add(time.Duration(later.Load())) }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { eng.Close() })
			handler, err := httpapi.New(httpapi.Config{Service: eng})
			if err != nil {
				t.Fatal(err)
			}
			h.Store(handler)
			quiet := func() {
				t.Helper()
				qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				if err := sim.Quiet(qctx); err != nil {
					t.Fatal(err)
				}
			}

			p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-" + getpaid.NewID("x"), Backend: "payu",
				Amount: getpaid.MustParseMoney("100.00", "PLN"), Description: "mugs", Buyer: getpaid.Buyer{Email: "b@example.com"}, ClientIP: "203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.Pay(ctx, p.Redirect, payutest.OutcomePreAuth); err != nil {
				t.Fatal(err)
			}
			quiet()
			g.closed.Store(true)
			sim.SetOperationFault(payutest.FaultTimeoutBefore)
			if _, err := eng.Release(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "rel"}); !errors.Is(err, getpaid.ErrOperationInDoubt) {
				t.Fatalf("release: %v; want it in doubt", err)
			}
			sim.SetOperationFault(payutest.FaultNone)
			held, err := eng.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The merchant captures in PayU's panel (the same API call).
			if _, err := b.Capture(ctx, &getpaid.CaptureRequest{Payment: held, Amount: held.Money(tt.amount), OperationID: "panel"}); err != nil {
				t.Fatal(err)
			}
			reconcile := func() {
				t.Helper()
				if _, err := eng.Reconcile(ctx, 100); err != nil {
					t.Fatal(err)
				}
			}
			tt.before(func() { g.closed.Store(false); quiet() }, func(d time.Duration) { later.Add(int64(d)) }, reconcile)
			later.Add(int64(3 * time.Minute)) // past the window a release not done may still arrive in
			reconcile()
			check := func(when string) {
				t.Helper()
				q, err := eng.Payment(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				page, err := eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
				if err != nil || len(page.Operations) != 1 {
					t.Fatalf("operations: %+v %v", page, err)
				}
				if op := page.Operations[0]; q.Status != tt.status || q.Captured != tt.amount || q.Locked != 0 || op.State != getpaid.OpFailed {
					t.Fatalf("%s: payment %s captured %d locked %d, release %s; want %s captured %d, the release failed",
						when, q.Status, q.Captured, q.Locked, op.State, tt.status, tt.amount)
				}
			}
			check("after the reconciler")
			g.closed.Store(false)
			quiet()
			if _, err := eng.Poll(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			check("after the COMPLETED notification and a poll")
		})
	}
}
