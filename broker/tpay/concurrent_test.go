package tpay_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
)

// gate holds the first n GETs of a transaction's refund list until n have
// arrived (or a second passed), so that concurrent refunds all read the list
// before any of them is made.
type gate struct {
	h    http.Handler
	mu   sync.Mutex
	n    int
	open chan struct{}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/refunds") {
		g.mu.Lock()
		hold := g.n > 0
		if hold {
			g.n--
			if g.n == 0 {
				close(g.open)
			}
		}
		g.mu.Unlock()
		if hold {
			select {
			case <-g.open:
			case <-time.After(time.Second):
			}
		}
	}
	g.h.ServeHTTP(w, r)
}

// Two refunds of one amount asked at the same time are both made at Tpay
// and both counted: the answer of each is told from the other's (and from
// the CHARGEBACK notifications, which cannot tell them apart).
func TestConcurrentRefundsOfOneAmountBothCounted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pki, _ := pkis(t)
	sim := tpaytest.New(tpaytest.Config{PKI: pki, NotifyBackoff: 5 * time.Millisecond})
	g := &gate{h: sim.Handler(), open: make(chan struct{})}
	srv := httptest.NewServer(g)
	sim.SetBaseURL(srv.URL)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, "twins", getpaid.MustParseMoney("100.00", "PLN"))
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	g.mu.Lock()
	g.n = 2
	g.mu.Unlock()
	ten := getpaid.MustParseMoney("10.00", "PLN")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &ten})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("refund %d: %v", i, err)
		}
	}
	quiet(t, sim)
	got, _ := f.store.Payment(ctx, p.ID)
	if got.Refunded != 2000 || got.RefundAsked != 0 || got.Status != getpaid.StatusPartiallyRefunded {
		t.Fatalf("%s refunded %d asked %d; want partially_refunded 2000 (Tpay refunded 2 x 10.00)", got.Status, got.Refunded, got.RefundAsked)
	}
}
