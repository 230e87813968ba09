package payu_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
	"github.com/getpaid-go/getpaid/brokertest"
)

// A stored payment whose create order answer was lost (PayU registered the
// order, getpaid never learnt its link) cannot be started again: PayU
// refuses a second order with the same extOrderId. The error says so and
// what to do (create a new payment), instead of PayU's bare code, and it is
// not retryable: trying again can never succeed.
func TestStartAfterLostCreateAnswer(t *testing.T) {
	t.Parallel()
	sim := payutest.Start(payutest.Config{})
	t.Cleanup(sim.Close)
	var lose atomic.Bool
	lose.Store(true)
	h := sim.Handler()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v2_1/orders" && lose.Swap(false) {
			h.ServeHTTP(httptest.NewRecorder(), r) // PayU creates the order; its answer is lost
			time.Sleep(700 * time.Millisecond)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	sc := sim.Config()
	b, err := payu.New(payu.Config{PosID: sc.PosID, SecondKey: sc.SecondKey, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret,
		APIURL: front.URL, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eng := brokertest.NewEngine(t, "http://127.0.0.1:1/shop", getpaid.Backend{Name: "payu", Broker: b})
	ctx := context.Background()
	p, err := eng.Create(ctx, getpaid.PayRequest{OrderID: "o", Backend: "payu", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, p.ID, "203.0.113.1"); !getpaid.IsRetryable(err) {
		t.Fatalf("first start: %v, want a retryable error (the answer was lost)", err)
	}
	_, err = eng.Start(ctx, p.ID, "203.0.113.1")
	if err == nil || getpaid.IsRetryable(err) {
		t.Fatalf("second start: %v, want an error that is not retryable", err)
	}
	for _, want := range []string{"ERROR_ORDER_NOT_UNIQUE", "create a new payment"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second start: %v, want it to say %q", err, want)
		}
	}
	if q, _ := eng.Payment(ctx, p.ID); q.Status != getpaid.StatusNew {
		t.Errorf("payment %s, want new", q.Status)
	}
	// A new payment for the order is taken.
	q, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "payu", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil || q.Status != getpaid.StatusPrepared {
		t.Fatalf("a new payment: %v %v", q, err)
	}
}
