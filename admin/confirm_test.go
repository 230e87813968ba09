package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// heldRefunds is the dummy broker whose first refund waits at the broker
// until released, as a slow broker's does.
type heldRefunds struct {
	*dummy.Broker
	once             sync.Once
	entered, release chan struct{}
}

func (h *heldRefunds) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	first := false
	h.once.Do(func() { first = true })
	if first {
		close(h.entered)
		<-h.release
	}
	return h.Broker.Refund(ctx, req)
}

// TestConfirmAgainDoesNotRefundTwice submits a refund's confirmation form
// twice (a double click) while the first submission is at the broker, or
// after its answer was lost: the page the second gets must carry the same
// idempotency key, so confirming from that page again asks nothing new of
// the broker.
func TestConfirmAgainDoesNotRefundTwice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		held   bool // the first refund waits at the broker
	}{
		{"while the first is at the broker", http.StatusConflict, true},
		{"after the first answer was lost", http.StatusConflict, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			held := &heldRefunds{entered: make(chan struct{}), release: make(chan struct{})}
			var releaseOnce sync.Once
			release := func() { releaseOnce.Do(func() { close(held.release) }) }
			var e *env
			if tc.held {
				e = newEnvWith(t, nil, false, func(d *dummy.Broker) getpaid.Broker { held.Broker = d; return held })
				t.Cleanup(release) // before the server's Close, which waits for the held request
			} else {
				e = newEnv(t, nil, false)
			}
			p := e.pay("o-twice", "10.00", "paid", getpaid.StatusPaid)
			if !tc.held {
				if err := e.dummy.SetFault(dummy.FaultTimeoutBefore); err != nil {
					t.Fatal(err)
				}
			}
			b := e.browser()
			b.mustLogin()
			b.do("GET", "/admin/payments/"+p.ID, nil)
			b.do("POST", "/admin/payments/"+p.ID+"/confirm", url.Values{"csrf": {b.csrf()}, "action": {"refund"}, "amount": {"3.00"}})
			form := url.Values{"csrf": {b.csrf()}, "action": {"refund"}, "amount": {"3.00"}, "key": {keyField.FindStringSubmatch(b.last)[1]}}

			first := make(chan int, 1)
			if tc.held {
				go func() {
					req, _ := http.NewRequest("POST", e.srv.URL+"/admin/payments/"+p.ID+"/do", strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					resp, err := b.c.Do(req)
					if err != nil {
						first <- 0
						return
					}
					resp.Body.Close()
					first <- resp.StatusCode
				}()
				<-held.entered
			} else {
				b.do("POST", "/admin/payments/"+p.ID+"/do", form)
			}
			// The second submission of the same form, and then a press of
			// Confirm on the page it answered.
			for i := range 2 {
				resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form)
				if resp.StatusCode != tc.status {
					t.Fatalf("submission %d: %d, want %d\n%s", i+2, resp.StatusCode, tc.status, b.last)
				}
				m := keyField.FindStringSubmatch(b.last)
				if m == nil {
					t.Fatalf("submission %d: no form on the answer:\n%s", i+2, b.last)
				}
				form.Set("key", m[1])
			}
			if tc.held {
				release()
				if s := <-first; s != http.StatusSeeOther {
					t.Errorf("the first submission: %d, want 303", s)
				}
			}
			ops, err := e.eng.Operations(context.Background(), getpaid.OperationFilter{PaymentID: p.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(ops.Operations) != 1 {
				t.Errorf("%d refunds asked for one confirmed form, want 1", len(ops.Operations))
			}
			if n, total := e.dummy.Refunds(p.ID); n > 1 || total > 300 {
				t.Errorf("the broker refunded %d times, %d in all; want once, 3.00 PLN", n, total)
			}
		})
	}
}
