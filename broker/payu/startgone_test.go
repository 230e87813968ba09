package payu_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
	"github.com/getpaid-go/getpaid/brokertest"
)

// A double click in library mode: the first Start's caller goes away (the
// browser drops the first request) while PayU is creating the order, and
// the second Start joins it. PayU takes one order per extOrderId and its
// redirectUri is in no other answer: the order the first call sent must be
// answered and recorded, not abandoned and asked for again, which PayU
// refuses (ERROR_ORDER_NOT_UNIQUE) and leaves the payment never startable.
func TestStartOutlivesItsCallerAtPayU(t *testing.T) {
	t.Parallel()
	sim := payutest.Start(payutest.Config{})
	t.Cleanup(sim.Close)
	h := sim.Handler()
	var creates atomic.Int64
	sent, reply := make(chan struct{}), make(chan struct{})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v2_1/orders" && creates.Add(1) == 1 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r) // PayU creates the order, and answers when the test says
			close(sent)
			<-reply
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	sc := sim.Config()
	b, err := payu.New(payu.Config{PosID: sc.PosID, SecondKey: sc.SecondKey, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret,
		APIURL: front.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	eng := brokertest.NewEngine(t, "http://127.0.0.1:1/shop", getpaid.Backend{Name: "payu", Broker: b})
	p, err := eng.Create(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "payu", Amount: getpaid.MustParseMoney("10.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	first, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, _ = eng.Start(first, p.ID, "203.0.113.1") }()
	<-sent
	type answer struct {
		p   *getpaid.Payment
		err error
	}
	second := make(chan answer, 1)
	go func() {
		q, err := eng.Start(context.Background(), p.ID, "203.0.113.1")
		second <- answer{q, err}
	}()
	time.Sleep(200 * time.Millisecond) // the second joins the first, at PayU
	cancel()                           // the first request's caller goes away
	time.Sleep(100 * time.Millisecond) // a call cut short with its caller has ended by now
	close(reply)
	a := <-second
	if a.err != nil || a.p.Status != getpaid.StatusPrepared || a.p.Redirect == nil || a.p.ExternalID == "" {
		t.Fatalf("the joined Start: %+v, %v; want the payment prepared with PayU's order", a.p, a.err)
	}
	if _, ok := sim.Order(a.p.ExternalID); !ok {
		t.Errorf("the payment's order %s is not PayU's", a.p.ExternalID)
	}
	if n := creates.Load(); n != 1 {
		t.Errorf("%d orders asked of PayU, want 1", n)
	}
}
