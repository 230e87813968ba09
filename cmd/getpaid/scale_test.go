package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/httpapi"
)

// The acceptance tests of several `getpaid serve` processes on one
// PostgreSQL database (issue 10). They run when GETPAID_TEST_POSTGRES_DSN is
// set, each on a schema of its own.

// callbackUntilAcked posts a callback to url, retrying a 503 (the broker's
// own behaviour) for up to 20 s, and returns every status it was answered.
func callbackUntilAcked(url string, body []byte, header map[string]string) []int {
	var statuses []int
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, _ := do("POST", url, header, body)
		statuses = append(statuses, status)
		if status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return statuses
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestScaleOneTransition: three servers share one database; 300 identical
// signed paid callbacks for one payment, spread over the three, 100 at a
// time concurrently: exactly one transition to paid, exactly one paid status
// event in the outbox, delivered to the merchant's webhook endpoint (which
// every server sends to) under one webhook-id, every answer 200 (or a 503 a
// retry turns into 200), none 500.
func TestScaleOneTransition(t *testing.T) {
	t.Parallel()
	hooks := newHookReceiver(t, nil)
	c := newCluster(t, 3, clusterConfig{extra: hooks.config()})
	p := createPayment(t, c.insts[0], "dummy", "o-scale-1", "12.34")
	body, header := paidCallback(p, "evt-scale-1")
	var (
		mu       sync.Mutex
		answered = map[int]int{}
		wg       sync.WaitGroup
		sem      = make(chan struct{}, 100)
	)
	for i := range 300 {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			statuses := callbackUntilAcked(c.insts[i%3].url+"/callback/dummy", body, header)
			mu.Lock()
			defer mu.Unlock()
			for _, s := range statuses {
				answered[s]++
			}
			if last := statuses[len(statuses)-1]; last != http.StatusOK {
				t.Errorf("callback %d on instance %d: finally HTTP %d (answers %v)", i, i%3, last, statuses)
			}
		})
	}
	wg.Wait()
	for status := range answered {
		if status != http.StatusOK && status != http.StatusServiceUnavailable {
			t.Errorf("answers %v: want only 200 (and 503 retried)", answered)
		}
	}
	for i, in := range c.insts {
		got := getPayment(t, in, p.ID)
		if got.Status != "paid" || got.Captured != "12.34" || transitionsTo(got, "paid") != 1 {
			t.Errorf("instance %d reads status %s, captured %s, history %+v; want paid once", i, got.Status, got.Captured, got.History)
		}
	}
	if n := c.count("SELECT count(*) FROM outbox WHERE payment_id = $1 AND to_status = 'paid'", p.ID); n != 1 {
		t.Errorf("%d paid status events in the outbox, want 1", n)
	}
	if n := c.count("SELECT count(*) FROM applied_events WHERE payment_id = $1", p.ID); n != 1 {
		t.Errorf("%d applied events recorded, want 1", n)
	}
	// The merchant hears of it once: one event, one webhook-id (a delivery
	// is retried under its id, and only if an attempt failed).
	waitUntil(t, 30*time.Second, "the paid event to be delivered to the webhook", func() bool {
		return c.count(`SELECT count(*) FROM deliveries d JOIN outbox o ON o.id = d.event_id
			WHERE o.payment_id = $1 AND o.to_status = 'paid' AND d.state = 'delivered'`, p.ID) == 1
	})
	reqs := hooks.requests(paidOf(p.ID))
	ids := map[string]bool{}
	for _, r := range reqs {
		ids[r.id] = true
	}
	if len(ids) != 1 {
		t.Errorf("the webhook got the paid event under %d webhook-ids %v, want 1", len(ids), ids)
	}
	t.Logf("answers: %v; the paid webhook was sent %d times", answered, len(reqs))
}

// TestScaleTwiceAtOnce: 200 payments, each receiving its paid callback twice
// at the same moment on two different servers: 200 paid, 200 paid events.
func TestScaleTwiceAtOnce(t *testing.T) {
	t.Parallel()
	const n = 200
	c := newCluster(t, 2, clusterConfig{})
	ps := make([]*httpapi.PaymentJSON, n)
	for i := range ps {
		ps[i] = createPayment(t, c.insts[i%2], "dummy", fmt.Sprintf("o-twice-%d", i), "10.00")
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i, p := range ps {
		body, header := paidCallback(p, "evt-twice")
		start := make(chan struct{})
		for k := range 2 {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				<-start
				statuses := callbackUntilAcked(c.insts[(i+k)%2].url+"/callback/dummy", body, header)
				if last := statuses[len(statuses)-1]; last != http.StatusOK {
					t.Errorf("payment %d, copy %d: answers %v", i, k, statuses)
				}
			})
		}
		close(start)
	}
	wg.Wait()
	paid := 0
	for i, p := range ps {
		got := getPayment(t, c.insts[(i+1)%2], p.ID)
		if got.Status == "paid" && got.Captured == "10.00" && transitionsTo(got, "paid") == 1 {
			paid++
		} else {
			t.Errorf("payment %d: status %s captured %s history %+v", i, got.Status, got.Captured, got.History)
		}
	}
	if paid != n {
		t.Errorf("%d paid, want %d", paid, n)
	}
	if ev := c.count("SELECT count(*) FROM outbox WHERE to_status = 'paid'"); ev != n {
		t.Errorf("%d paid status events, want %d", ev, n)
	}
}

// TestScaleKillInstance: SIGKILL one of three servers in the middle of a
// burst of callbacks: every callback answered 200 is applied, and every paid
// event is delivered to the merchant's webhook endpoint (the deliveries the
// dead server had leased, by a survivor once the leases ran out).
func TestScaleKillInstance(t *testing.T) {
	t.Parallel()
	const n = 150
	hooks := newHookReceiver(t, nil)
	hooks.delay = 200 * time.Millisecond // the dying server has webhooks in flight
	c := newCluster(t, 3, clusterConfig{extra: hooks.config()})
	ps := make([]*httpapi.PaymentJSON, n)
	for i := range ps {
		ps[i] = createPayment(t, c.insts[i%3], "dummy", fmt.Sprintf("o-kill-%d", i), "5.00")
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		acked  = map[string]bool{}
		killed sync.Once
		sem    = make(chan struct{}, 32)
	)
	for i, p := range ps {
		if i == n/3 {
			// A third of the way through, while callbacks are in flight.
			killed.Do(func() { go c.insts[1].kill() })
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			body, header := paidCallback(p, "evt-kill")
			status, b := do("POST", c.insts[i%3].url+"/callback/dummy", header, body)
			switch status {
			case http.StatusOK:
				mu.Lock()
				acked[p.ID] = true
				mu.Unlock()
			case 0, http.StatusServiceUnavailable: // the killed instance, or a store error
			default:
				t.Errorf("callback %d on instance %d: HTTP %d %s", i, i%3, status, b)
			}
		})
	}
	wg.Wait()
	<-c.insts[1].done
	if len(acked) < n/2 {
		t.Fatalf("only %d of %d callbacks answered 200", len(acked), n)
	}
	for i, p := range ps {
		got := getPayment(t, c.insts[0], p.ID)
		if acked[p.ID] && got.Status != "paid" {
			t.Errorf("payment %d: callback answered 200, status %s", i, got.Status)
		}
	}
	// The callbacks the dead instance never answered are delivered again
	// (as a broker retries) to a survivor and applied once.
	for _, p := range ps {
		if acked[p.ID] {
			continue
		}
		body, header := paidCallback(p, "evt-kill")
		if statuses := callbackUntilAcked(c.insts[2].url+"/callback/dummy", body, header); statuses[len(statuses)-1] != http.StatusOK {
			t.Errorf("retry of %s on a survivor: %v", p.ID, statuses)
		}
	}
	if ev := c.count("SELECT count(*) FROM outbox WHERE to_status = 'paid'"); ev != n {
		t.Errorf("%d paid status events, want %d", ev, n)
	}
	waitUntil(t, 60*time.Second, "every delivery to be delivered by the survivors", func() bool {
		return c.count("SELECT count(*) FROM deliveries WHERE state <> 'delivered'") == 0
	})
	sent := map[string]int{} // requests per webhook-id, of every event
	for _, r := range hooks.requests(anyEvent) {
		sent[r.id]++
	}
	again := 0
	for _, k := range sent {
		if k > 1 {
			again++
		}
	}
	paid := 0
	for _, p := range ps {
		var id string
		if err := c.db().QueryRow(t.Context(), "SELECT id FROM outbox WHERE payment_id = $1 AND to_status = 'paid'", p.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if sent[id] == 0 {
			t.Errorf("payment %s: its paid event %s never reached the webhook", p.ID, id)
		} else {
			paid++
		}
	}
	if paid != n {
		t.Errorf("the webhook got %d of the %d paid events", paid, n)
	}
	t.Logf("%d of %d callbacks answered 200 before the retries; %d webhooks sent more than once (the dead server's in flight)", len(acked), n, again)
}
