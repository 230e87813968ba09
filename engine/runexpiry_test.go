package engine_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Run expires a payment waiting past its deadline, though polling (which
// shares its claim) would also take it. Polling claims a payment for two
// minutes; with polling first, every round that finds the claim run out
// (any interval of two minutes or more, or 45 s, 50 s, ...) polled and
// claimed it again, and expiry waited until polling stops (three days).
// Only an interval dividing two minutes let expiry win, by milliseconds.
func TestRunExpiresWhatPollingWouldTake(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{NoCallbacks: true}, engine.Config{Now: now.Now, ExpireAfter: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	p, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o1", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	now.Advance(2 * time.Hour) // past the deadline, within polling's three days
	done := make(chan struct{})
	go func() { defer close(done); e.eng.Run(ctx, time.Hour) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the payment to expire", func() bool {
		q, err := e.eng.Payment(context.Background(), p.ID)
		return err == nil && q.Status == getpaid.StatusCancelled
	})
}

// A dummy payment in pull mode paid on the paywall after it expired is
// recorded by polling alone, within EndedPollEvery: no notification comes,
// and money a buyer paid is never dropped. A cancelled payment is looked at
// once per EndedPollEvery, not at every round.
func TestPaidAfterExpiryFoundByPolling(t *testing.T) {
	t.Parallel()
	now := &clock{}
	e := newDummyEnv(t, dummy.Config{NoCallbacks: true}, engine.Config{Now: now.Now, ExpireAfter: time.Hour})
	ctx := context.Background()
	p, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-late", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	now.Advance(2 * time.Hour)
	if n, err := e.eng.Expire(ctx, 10); err != nil || n != 1 {
		t.Fatalf("expire: %d, %v", n, err)
	}
	// A round after the expiry's own claim looks at it once: nothing paid
	// yet.
	now.Advance(2 * time.Minute)
	if n, err := e.eng.PollStale(ctx, 2*time.Minute, 72*time.Hour, 10); err != nil || n != 0 {
		t.Fatalf("poll before paying: %d, %v", n, err)
	}
	u, err := url.Parse(p.Redirect.URL)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Post(e.srv.URL+"/broker/dummy/choose?"+u.RawQuery+"&outcome=paid", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("paywall after expiry: %s", resp.Status)
	}
	now.Advance(10 * time.Minute)
	if _, err := e.eng.PollStale(ctx, 2*time.Minute, 72*time.Hour, 10); err != nil {
		t.Fatal(err)
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Status != getpaid.StatusCancelled {
		t.Fatalf("polled again within EndedPollEvery: %s", q.Status)
	}
	now.Advance(engine.EndedPollEvery)
	if n, err := e.eng.PollStale(ctx, 2*time.Minute, 72*time.Hour, 10); err != nil || n != 1 {
		t.Fatalf("poll after EndedPollEvery: %d, %v", n, err)
	}
	if q, _ := e.eng.Payment(ctx, p.ID); q.Status != getpaid.StatusPaid || q.Captured != 1000 {
		t.Fatalf("paid after expiry, found by polling: %s captured %d", q.Status, q.Captured)
	}
}

// A payment polled (and so claimed for two minutes) shortly before its
// deadline still expires at the next round after the deadline, not when
// the poll's claim runs out: polling leaves a payment whose deadline falls
// within its claim to Expire (which polls it one last time). Round by
// round (every 30 s, on one instance or several), a payment polled at
// 2m30s of a 3m deadline waited until 4m30s.
func TestPollingNearTheDeadlineDoesNotDelayExpiry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		expireAfter time.Duration
	}{
		{"deadline within the poll's claim", 3 * time.Minute},
		{"deadline after the poll's claim", 10 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := &clock{}
			e := newDummyEnv(t, dummy.Config{NoCallbacks: true}, engine.Config{Now: now.Now, ExpireAfter: tc.expireAfter})
			ctx := context.Background()
			if _, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-near", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")}); err != nil {
				t.Fatal(err)
			}
			// The round that polls it (as Run does: two minutes unchanged).
			now.Advance(2*time.Minute + 30*time.Second)
			if _, err := e.eng.PollStale(ctx, 2*time.Minute, 72*time.Hour, 10); err != nil {
				t.Fatal(err)
			}
			// The first round after the deadline.
			now.Advance(tc.expireAfter - 2*time.Minute)
			if n, err := e.eng.Expire(ctx, 10); err != nil || n != 1 {
				t.Errorf("expire 10 s after the deadline: %d expired (%v), want 1", n, err)
			}
		})
	}
}
