package przelewy24_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// testClock is an engine clock a test moves forward.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// verifyLostEnv is a Przelewy24 simulator and an engine on a test clock
// with the backend on it; the engine's callback URL leads nowhere, so the
// simulator's own deliveries are lost and a test hands its notification
// over. expire is the engine's ExpireAfter (0: its default).
func verifyLostEnv(t *testing.T, expire time.Duration) (*p24test.Server, *engine.Engine, *testClock) {
	t.Helper()
	sim := p24test.Start(p24test.Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "api-key",
		RetryUnit: time.Hour, HangTimeout: 3 * time.Second})
	t.Cleanup(sim.Close)
	b, err := przelewy24.New(przelewy24.Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "api-key",
		APIURL: sim.URL(), HTTPClient: &http.Client{Timeout: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "przelewy24", Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	clk := &testClock{t: time.Now()}
	eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "http://127.0.0.1:1/shop",
		Now: clk.now, ExpireAfter: expire})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	return sim, eng, clk
}

// A transaction/verify whose outcome getpaid does not learn (a timeout
// after or before Przelewy24 acted, a 500) leaves the payment unpaid and the
// notification answered with an error; the engine's background work (Run:
// Expire, then PollStale of payments waiting over two minutes, and of
// expired ones once an hour) then asks Przelewy24 and records what it
// did: paid once where it verified, paid after a verify that succeeds where
// it did not. Nothing is guessed and nothing counts twice: the
// notification sent again after that changes nothing.
func TestVerifyOutcomeUnknownIsResolvedInTheBackground(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, fault string
		expired     bool // the payment's deadline passes before the poll
		late        bool // paid after the payment expired
	}{
		{name: "answer lost, then polled", fault: p24test.FaultTimeoutAfter},
		{name: "answer lost, then expiry's last poll", fault: p24test.FaultTimeoutAfter, expired: true},
		{name: "answer lost on a payment paid after its expiry", fault: p24test.FaultTimeoutAfter, late: true},
		{name: "timeout before acting", fault: p24test.FaultTimeoutBefore},
		{name: "500", fault: p24test.Fault5xx},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sim, eng, clk := verifyLostEnv(t, 10*time.Minute)
			background := func() {
				t.Helper()
				if _, err := eng.Expire(ctx, 100); err != nil {
					t.Fatal(err)
				}
				if _, err := eng.PollStale(ctx, 2*time.Minute, 72*time.Hour, 100); err != nil {
					t.Fatal(err)
				}
			}
			p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "przelewy24", Amount: getpaid.MustParseMoney("12.00", "PLN"),
				Buyer: getpaid.Buyer{Email: "buyer@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			if tc.late {
				clk.add(11 * time.Minute)
				background()
				if q, _ := eng.Payment(ctx, p.ID); q.Status != getpaid.StatusCancelled {
					t.Fatalf("before paying late: %s, want cancelled", q.Status)
				}
			}
			if err := sim.Pay(ctx, p.Redirect, p24test.OutcomePaid); err != nil {
				t.Fatal(err)
			}
			note, err := sim.Notification(p.ID, 1200, "PLN")
			if err != nil {
				t.Fatal(err)
			}
			sim.SetVerifyFault(tc.fault)
			if _, err := eng.HandleCallback(ctx, "przelewy24", note); err == nil {
				t.Fatal("a notification whose verify failed was accepted: Przelewy24 would not send it again")
			}
			q, _ := eng.Payment(ctx, p.ID)
			if q.Captured != 0 || q.Status == getpaid.StatusPaid {
				t.Fatalf("after the verify failed: %s captured %d", q.Status, q.Captured)
			}
			if got, want := sim.Verified(p.ID), tc.fault == p24test.FaultTimeoutAfter; got != want {
				t.Fatalf("verified at Przelewy24: %v, want %v", got, want)
			}
			sim.SetVerifyFault(p24test.FaultNone)
			switch {
			case tc.late:
				clk.add(61 * time.Minute) // expired payments are polled once an hour
			case tc.expired:
				clk.add(11 * time.Minute)
			default:
				clk.add(3 * time.Minute)
			}
			background()
			q, _ = eng.Payment(ctx, p.ID)
			if q.Status != getpaid.StatusPaid || q.Captured != 1200 || !sim.Verified(p.ID) {
				t.Fatalf("after the background work: %s captured %d, verified %v", q.Status, q.Captured, sim.Verified(p.ID))
			}
			// Przelewy24's notification, sent again, counts nothing twice.
			version := q.Version
			if _, err := eng.HandleCallback(ctx, "przelewy24", note); err != nil {
				t.Fatalf("the notification sent again: %v", err)
			}
			if q, _ := eng.Payment(ctx, p.ID); q.Status != getpaid.StatusPaid || q.Captured != 1200 || q.Version != version {
				t.Fatalf("after the notification again: %s captured %d, version %d (was %d)", q.Status, q.Captured, q.Version, version)
			}
		})
	}
}

// advanceAcceptLost is a payment of 12.00 holding an advance of 6.00 that
// an operator accepted, the verify answer lost: Przelewy24 verified it,
// getpaid still holds it as an advance. The verify works again after it.
func advanceAcceptLost(t *testing.T) (*engine.Engine, *testClock, *getpaid.Payment) {
	t.Helper()
	ctx := context.Background()
	sim, eng, clk := verifyLostEnv(t, 0)
	p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "przelewy24", Amount: getpaid.MustParseMoney("12.00", "PLN"),
		Buyer: getpaid.Buyer{Email: "buyer@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Pay(ctx, p.Redirect, p24test.OutcomePartial); err != nil {
		t.Fatal(err)
	}
	note, err := sim.Notification(p.ID, 600, "PLN")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.HandleCallback(ctx, "przelewy24", note); err != nil {
		t.Fatal(err)
	}
	sim.SetVerifyFault(p24test.FaultTimeoutAfter)
	if _, err := eng.AcceptAdvance(ctx, getpaid.ActionRequest{PaymentID: p.ID}); err == nil {
		t.Fatal("an acceptance whose verify answer was lost succeeded")
	}
	if q, _ := eng.Payment(ctx, p.ID); q.Captured != 0 || q.Advance != 600 || !sim.Verified(p.ID) {
		t.Fatalf("after the lost answer: %s captured %d advance %d, verified %v", q.Status, q.Captured, q.Advance, sim.Verified(p.ID))
	}
	sim.SetVerifyFault(p24test.FaultNone)
	return eng, clk, p
}

// An operator's acceptance of an advance whose verify answer is lost fails
// and leaves the advance waiting; the next poll finds the transaction
// verified and records the advance captured, once.
func TestAcceptedAdvanceVerifyAnswerLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eng, clk, p := advanceAcceptLost(t)
	clk.add(3 * time.Minute)
	if _, err := eng.PollStale(ctx, 2*time.Minute, 72*time.Hour, 100); err != nil {
		t.Fatal(err)
	}
	q, _ := eng.Payment(ctx, p.ID)
	if q.Status != getpaid.StatusPartiallyPaid || q.Captured != 600 || q.Advance != 0 {
		t.Fatalf("after the poll: %s captured %d advance %d", q.Status, q.Captured, q.Advance)
	}
	if _, err := eng.Poll(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if r, _ := eng.Payment(ctx, p.ID); r.Captured != 600 || r.Version != q.Version {
		t.Fatalf("a second poll: captured %d, version %d (was %d)", r.Captured, r.Version, q.Version)
	}
}

// A reject after an acceptance whose verify answer was lost: Przelewy24 has
// taken the money, so the reject is refused and the capture recorded; the
// payment was failed over money kept, and nothing polls a failed payment.
func TestRejectAfterAcceptVerifyAnswerLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eng, _, p := advanceAcceptLost(t)
	var te *getpaid.TransitionError
	if _, err := eng.RejectAdvance(ctx, getpaid.ActionRequest{PaymentID: p.ID}); !errors.As(err, &te) {
		t.Fatalf("reject after the lost acceptance: %v; want it refused (Przelewy24 verified the advance)", err)
	}
	if q, _ := eng.Payment(ctx, p.ID); q.Status != getpaid.StatusPartiallyPaid || q.Captured != 600 || q.Advance != 0 {
		t.Fatalf("payment: %s captured %d advance %d; want partially_paid, 6.00 captured", q.Status, q.Captured, q.Advance)
	}
}
