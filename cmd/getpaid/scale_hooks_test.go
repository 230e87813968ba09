package main

import (
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/webhook"
)

// TestScaleWebhookTakeover: a server SIGKILLed while it is delivering a
// webhook (its lease on the delivery held, the attempt unanswered) does not
// lose it: a surviving server delivers it once the lease runs out (the
// delivery timeout, 1 s, plus 5 s), under the same webhook-id, and not
// before.
func TestScaleWebhookTakeover(t *testing.T) {
	t.Parallel()
	// The first paid request is held: the server sending it dies.
	var held atomic.Bool
	hooks := newHookReceiver(t, func(p webhook.Payload) bool { return p.Data.To == "paid" && held.CompareAndSwap(false, true) })
	c := newCluster(t, 2, clusterConfig{extra: hooks.config()})
	a, b := c.insts[0], c.insts[1]
	// The survivor is paused while the other claims the delivery, so that
	// the one killed is the one holding the lease; it runs on afterwards.
	if err := b.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resume := func() { _ = b.cmd.Process.Signal(syscall.SIGCONT) }
	t.Cleanup(resume) // before the instance is stopped
	p := createPayment(t, a, "dummy", "o-takeover", "10.00")
	body, header := paidCallback(p, "evt-takeover")
	if statuses := callbackUntilAcked(a.url+"/callback/dummy", body, header); statuses[len(statuses)-1] != http.StatusOK {
		t.Fatalf("callback: %v", statuses)
	}
	waitUntil(t, 15*time.Second, "the paid webhook to be sent", func() bool { return len(hooks.requests(paidOf(p.ID))) == 1 })
	a.kill()
	close(hooks.release)
	resume()
	waitUntil(t, 30*time.Second, "the survivor to deliver the webhook", func() bool {
		return c.count(`SELECT count(*) FROM deliveries d JOIN outbox o ON o.id = d.event_id
			WHERE o.payment_id = $1 AND o.to_status = 'paid' AND d.state = 'delivered'`, p.ID) == 1
	})
	reqs := hooks.requests(paidOf(p.ID))
	if len(reqs) != 2 || reqs[0].id != reqs[1].id {
		t.Fatalf("paid webhooks sent: %+v; want the dead server's attempt, then the survivor's, under one webhook-id", reqs)
	}
	// The lease ran 6 s from the claim, made just before the first attempt.
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 5*time.Second {
		t.Errorf("the survivor sent it %s after the dead server: within the dead server's lease", gap)
	}
	// The dead server's attempt was never recorded; the survivor's was.
	if n := c.count(`SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
		JOIN outbox o ON o.id = d.event_id WHERE o.payment_id = $1 AND o.to_status = 'paid'`, p.ID); n != 1 {
		t.Errorf("%d attempts recorded, want 1", n)
	}
}
