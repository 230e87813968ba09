package payu_test

// Outside-in checks of the PayU flow (create, notifications, holds, refunds,
// tokens, hosts, configuration) against the fake PayU of outsidefake_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

func TestOutsideCreateAndNotifications(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.pay(t, "49.99")
	if p.Status != getpaid.StatusPrepared || p.Redirect == nil || !strings.HasPrefix(p.Redirect.URL, o.fake.srv.URL+"/pay/?orderId="+id) {
		t.Fatalf("after create: %s %+v", p.Status, p.Redirect)
	}
	req := o.fake.order(id).Body
	for k, want := range map[string]any{"merchantPosId": fakePos, "totalAmount": "4999", "currencyCode": "PLN",
		"customerIp": "203.0.113.7", "extOrderId": p.ID, "notifyUrl": o.shop.URL + "/payments/callback/payu"} {
		if req[k] != want {
			t.Errorf("create %s = %#v, want %#v", k, req[k], want)
		}
	}
	if s, _ := req["continueUrl"].(string); s == "" {
		t.Errorf("create without continueUrl")
	}
	tests := []struct {
		name   string
		body   []byte
		header func(b []byte) string
		want   int
		status getpaid.Status
	}{
		{"pending MD5", o.fake.orderNote(id, "PENDING", ""), func(b []byte) string { return signPayU(b, fakeKey, "MD5") }, 200, getpaid.StatusChargeStarted},
		{"wrong MD5", o.fake.orderNote(id, "COMPLETED", ""), func(b []byte) string { return signPayU(b, "nope", "MD5") }, 403, getpaid.StatusChargeStarted},
		{"wrong SHA-256", o.fake.orderNote(id, "COMPLETED", ""), func(b []byte) string { return signPayU(b, "nope", "SHA-256") }, 403, getpaid.StatusChargeStarted},
		{"MD5 signature named SHA-256", o.fake.orderNote(id, "COMPLETED", ""), func(b []byte) string {
			return strings.Replace(signPayU(b, fakeKey, "MD5"), "algorithm=MD5", "algorithm=SHA-256", 1)
		}, 403, getpaid.StatusChargeStarted},
		{"amount disagrees", o.fake.orderNote(id, "COMPLETED", "4998"), func(b []byte) string { return signPayU(b, fakeKey, "MD5") }, 422, getpaid.StatusChargeStarted},
		{"completed SHA-256", o.fake.orderNote(id, "COMPLETED", ""), func(b []byte) string { return signPayU(b, fakeKey, "SHA-256") }, 200, getpaid.StatusPaid},
		{"replayed", o.fake.orderNote(id, "COMPLETED", ""), func(b []byte) string { return signPayU(b, fakeKey, "MD5") }, 200, getpaid.StatusPaid},
		{"late pending", o.fake.orderNote(id, "PENDING", ""), func(b []byte) string { return signPayU(b, fakeKey, "MD5") }, 200, getpaid.StatusPaid},
		{"late canceled", o.fake.orderNote(id, "CANCELED", ""), func(b []byte) string { return signPayU(b, fakeKey, "MD5") }, 200, getpaid.StatusPaid},
	}
	for _, tc := range tests { // in order: each case builds on the one before
		if got := o.fake.notify(t, id, tc.body, tc.header(tc.body)); got != tc.want {
			t.Errorf("%s: answered %d, want %d", tc.name, got, tc.want)
		}
		if got := o.payment(t, p.ID); got.Status != tc.status {
			t.Errorf("%s: status %s, want %s", tc.name, got.Status, tc.status)
		}
	}
	if got := o.payment(t, p.ID); got.Captured != 4999 {
		t.Errorf("captured %d, want 4999", got.Captured)
	}
}

func TestOutsideUnknownOrder(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	_, id := o.pay(t, "10.00")
	o.fake.mu.Lock()
	o.fake.orders["WZHF5FFDRJ999999GUEST000P01"] = &fakeOrder{ID: "WZHF5FFDRJ999999GUEST000P01", Ext: "pay_unknown",
		Notify: o.fake.orders[id].Notify, Currency: "PLN", Total: "1000", Status: "COMPLETED"}
	o.fake.mu.Unlock()
	b := o.fake.orderNote("WZHF5FFDRJ999999GUEST000P01", "COMPLETED", "")
	if got := o.fake.notify(t, "WZHF5FFDRJ999999GUEST000P01", b, signPayU(b, fakeKey, "MD5")); got != 200 {
		t.Errorf("unknown order answered %d, want 200 (PayU stops resending)", got)
	}
}

func TestOutsidePreAuthCaptureRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.held(t, "100.00")
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPreAuth || got.Locked != 10000 {
		t.Fatalf("after hold: %s locked %d", got.Status, got.Locked)
	}
	res, err := o.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "cap-1"})
	if err != nil {
		t.Fatalf("capture: %v (calls %v)", err, o.fake.callList())
	}
	if res.Payment.Status != getpaid.StatusPaid || res.Payment.Captured != 10000 {
		t.Errorf("after capture: %s captured %d", res.Payment.Status, res.Payment.Captured)
	}
	b := o.fake.orderNote(id, "COMPLETED", "")
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); got != 200 {
		t.Errorf("completed after capture answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Captured != 10000 {
		t.Errorf("captured %d after the COMPLETED notification, want 10000 (counted once)", got.Captured)
	}

	// A second order: held, then released.
	o2, err := o.eng.Pay(ctx, getpaid.PayRequest{OrderID: "order-2", Backend: "payu", Amount: getpaid.MustParseMoney("100.00", "PLN"),
		Description: "Two mugs", ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	id2 := o.fake.orderID(o2.ID)
	o.fake.setStatus(id2, "WAITING_FOR_CONFIRMATION")
	b = o.fake.orderNote(id2, "WAITING_FOR_CONFIRMATION", "")
	o.fake.notify(t, id2, b, signPayU(b, fakeKey, "MD5"))
	_, err = o.eng.Release(ctx, getpaid.ActionRequest{PaymentID: o2.ID, IdempotencyKey: "rel-1"})
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	if o.fake.called("DELETE /api/v2_1/orders/"+id2) != 1 {
		t.Errorf("release did not DELETE the order: %v", o.fake.callList())
	}
	b = o.fake.orderNote(id2, "CANCELED", "")
	o.fake.notify(t, id2, b, signPayU(b, fakeKey, "MD5"))
	if got := o.payment(t, o2.ID); got.Status != getpaid.StatusCancelled || got.Locked != 0 {
		t.Errorf("after release: %s locked %d", got.Status, got.Locked)
	}
}

func TestOutsideRefunds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "COMPLETED")
	b := o.fake.orderNote(id, "COMPLETED", "")
	o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))

	amt := getpaid.MustParseMoney("30.00", "PLN")
	res, err := o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt, IdempotencyKey: "r-1"})
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	var req struct {
		Refund map[string]any `json:"refund"`
	}
	o.fake.locked(func() { json.Unmarshal(o.fake.bodies["POST /api/v2_1/orders/"+id+"/refunds"], &req) })
	if req.Refund["amount"] != "3000" || req.Refund["description"] == "" || req.Refund["extRefundId"] == nil {
		t.Errorf("refund body %v", req.Refund)
	}
	if res.Payment.Status != getpaid.StatusRefundStarted {
		t.Errorf("after partial refund asked: %s", res.Payment.Status)
	}
	rf := o.fake.refundsOf(id)[0]
	rb := o.fake.refundNote(id, rf, "FINALIZED")
	if got := o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5")); got != 200 {
		t.Errorf("refund FINALIZED answered %d", got)
	}
	if got := o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "SHA-256")); got != 200 {
		t.Errorf("refund FINALIZED again answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPartiallyRefunded || got.Refunded != 3000 {
		t.Errorf("after partial refund: %s refunded %d", got.Status, got.Refunded)
	}
	rb2 := append([]byte(nil), rb...)
	rb2[len(rb2)-3] ^= 1
	if got := o.fake.notify(t, id, rb2, signPayU(rb, fakeKey, "MD5")); got != 403 {
		t.Errorf("tampered refund notification answered %d", got)
	}

	_, err = o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r-2"})
	if err != nil {
		t.Fatalf("refund the rest: %v", err)
	}
	o.fake.locked(func() { json.Unmarshal(o.fake.bodies["POST /api/v2_1/orders/"+id+"/refunds"], &req) })
	if a, ok := req.Refund["amount"]; ok && a != "7000" {
		t.Errorf("refund of the rest sent amount %v, want 7000 (or none only if nothing was refunded before)", a)
	}
	rf = o.fake.refundsOf(id)[1]
	if rf.Amount != "7000" {
		t.Errorf("PayU refunds %s for the rest, want 7000", rf.Amount)
	}
	// canceled first, for a refund PayU could not carry out
	rb = o.fake.refundNote(id, rf, "CANCELED")
	o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5"))
	if got := o.payment(t, p.ID); got.Refunded != 3000 || got.RefundAsked != 0 {
		t.Errorf("after CANCELED refund: %s refunded %d asked %d", got.Status, got.Refunded, got.RefundAsked)
	}
}

func TestOutsideTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	o := newOutside(t, func(c *payu.Config) { c.Now = clock })
	p, id := o.pay(t, "10.00")
	if n := o.fake.called("POST /pl/standard/user/oauth/authorize"); n != 1 {
		t.Fatalf("%d token fetches", n)
	}
	// Within its life the token is reused.
	if _, err := o.eng.Poll(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if n := o.fake.called("POST /pl/standard/user/oauth/authorize"); n != 1 {
		t.Errorf("%d token fetches for a second call", n)
	}
	// Near its end (43199 s) a new one is fetched before the call.
	mu.Lock()
	now = now.Add(43199*time.Second - 30*time.Second)
	mu.Unlock()
	if _, err := o.eng.Poll(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if n := o.fake.called("POST /pl/standard/user/oauth/authorize"); n != 2 {
		t.Errorf("%d token fetches near expiry, want 2", n)
	}
	// PayU forgets the token early: 401, a new token, the call again.
	o.fake.mu.Lock()
	o.fake.tokens = map[string]bool{}
	o.fake.mu.Unlock()
	o.fake.setStatus(id, "COMPLETED")
	got, err := o.eng.Poll(ctx, p.ID)
	if err != nil {
		t.Fatalf("poll after the token was revoked: %v", err)
	}
	if got.Status != getpaid.StatusPaid {
		t.Errorf("poll: %s", got.Status)
	}
	if n := o.fake.called("POST /pl/standard/user/oauth/authorize"); n != 3 {
		t.Errorf("%d token fetches after a 401, want 3", n)
	}
}

func TestOutsideBrokerDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders"] = 503 })
	_, err := o.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-down", Backend: "payu", Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Description: "x", ClientIP: "203.0.113.7"})
	var be *getpaid.BrokerError
	if err == nil || !errorsAs(err, &be) || !be.Retryable {
		t.Errorf("create on 503: %v, want a retryable broker error", err)
	}
	o.fake.locked(func() { delete(o.fake.fail, "POST /api/v2_1/orders") })
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "COMPLETED")
	b := o.fake.orderNote(id, "COMPLETED", "")
	o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))

	// The refund's answer is lost: the operation is in doubt, not failed.
	o.fake.locked(func() { o.fake.hang["POST /api/v2_1/orders/"+id+"/refunds"] = true })
	res, err := o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r-doubt"})
	t.Logf("refund on timeout: %v", err)
	ops, _ := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if ops == nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
		t.Errorf("after a timeout: %+v (%v)", ops, res)
	}
	// A 5xx after the request was sent: in doubt too.
	o.fake.locked(func() { delete(o.fake.hang, "POST /api/v2_1/orders/"+id+"/refunds") })
	p2, id2 := func() (*getpaid.Payment, string) {
		p, err := o.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-2", Backend: "payu", Amount: getpaid.MustParseMoney("100.00", "PLN"),
			Description: "x", ClientIP: "203.0.113.7"})
		if err != nil {
			t.Fatal(err)
		}
		return p, o.fake.orderID(p.ID)
	}()
	o.fake.setStatus(id2, "COMPLETED")
	b = o.fake.orderNote(id2, "COMPLETED", "")
	o.fake.notify(t, id2, b, signPayU(b, fakeKey, "MD5"))
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders/"+id2+"/refunds"] = 500 })
	_, err = o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p2.ID, IdempotencyKey: "r-500"})
	t.Logf("refund on 500: %v", err)
	ops, _ = o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p2.ID})
	if ops == nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
		t.Errorf("after a 500: %+v", ops.Operations[0])
	}
}

// The simulator signs as PayU does: both headers, sender=checkout, the
// signature over the raw body and the second key, MD5 by default.
func TestOutsideSimulatorSigns(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"", "SHA-256"} {
		t.Run("alg="+alg, func(t *testing.T) {
			t.Parallel()
			type got struct {
				h    http.Header
				body []byte
			}
			seen := make(chan got, 16)
			shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				seen <- got{r.Header.Clone(), b}
			}))
			defer shop.Close()
			sim := payutest.Start(payutest.Config{Algorithm: alg})
			defer sim.Close()
			sc := sim.Config()
			b, err := payu.New(payu.Config{PosID: sc.PosID, SecondKey: sc.SecondKey, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret, APIURL: sim.URL()})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Provision(context.Background(), getpaid.NewEnv("payu", shop.URL, nil)); err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: "pay_sim1", OrderID: "o1", Backend: "payu", Status: getpaid.StatusNew,
				Amount: getpaid.MustParseMoney("12.34", "PLN"), Description: "x", ClientIP: "203.0.113.7"}
			prep, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p, ClientIP: "203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.Pay(context.Background(), prep.Redirect, payutest.OutcomePaid); err != nil {
				t.Fatal(err)
			}
			want := alg
			if want == "" {
				want = "MD5"
			}
			select {
			case g := <-seen:
				for _, name := range []string{"OpenPayu-Signature", "X-OpenPayU-Signature"} {
					h := g.h.Get(name)
					if h != signPayU(g.body, sc.SecondKey, want) {
						t.Errorf("%s: %q, want %q", name, h, signPayU(g.body, sc.SecondKey, want))
					}
				}
				var n struct {
					Order map[string]any `json:"order"`
				}
				if err := json.Unmarshal(g.body, &n); err != nil || n.Order["totalAmount"] != "1234" || n.Order["extOrderId"] != "pay_sim1" || n.Order["merchantPosId"] != sc.PosID {
					t.Errorf("notification body %s", g.body)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no notification")
			}
		})
	}
}

func TestOutsideHosts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sandbox bool
		want    string
	}{{false, "https://secure.payu.com/pl/standard/user/oauth/authorize"}, {true, "https://secure.snd.payu.com/pl/standard/user/oauth/authorize"}} {
		rec := &hostRecorder{}
		b, err := payu.New(payu.Config{PosID: fakePos, SecondKey: fakeKey, ClientID: fakePos, ClientSecret: fakeSecret,
			Sandbox: tc.sandbox, HTTPClient: &http.Client{Transport: rec}})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Provision(context.Background(), getpaid.NewEnv("payu", "https://shop.example/payments", nil)); err != nil {
			t.Fatal(err)
		}
		p := &getpaid.Payment{ID: "pay_h", OrderID: "o", Backend: "payu", Status: getpaid.StatusNew,
			Amount: getpaid.MustParseMoney("1.00", "PLN"), Description: "x"}
		_, err = b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p, ClientIP: "203.0.113.7"})
		if err == nil || len(rec.hosts) == 0 || rec.hosts[0] != tc.want {
			t.Errorf("sandbox=%v: %v asked %v, want %s", tc.sandbox, err, rec.hosts, tc.want)
		}
	}
}

func TestOutsideConfigErrors(t *testing.T) {
	t.Parallel()
	ok := payu.Config{PosID: fakePos, SecondKey: fakeKey, ClientID: fakePos, ClientSecret: fakeSecret}
	for name, mod := range map[string]func(*payu.Config){
		"no pos_id":        func(c *payu.Config) { c.PosID = "" },
		"no second_key":    func(c *payu.Config) { c.SecondKey = "" },
		"no client_id":     func(c *payu.Config) { c.ClientID = "" },
		"no client_secret": func(c *payu.Config) { c.ClientSecret = "" },
	} {
		c := ok
		mod(&c)
		if _, err := payu.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	// A wrong second key: PayU's notifications are refused (403), nothing paid.
	o := newOutside(t, func(c *payu.Config) { c.SecondKey = "0c017495773278c50c7b35434017b2ca" })
	p, id := o.pay(t, "10.00")
	b := o.fake.orderNote(id, "COMPLETED", "")
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); got != 403 {
		t.Errorf("notification under another key answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPrepared {
		t.Errorf("status %s", got.Status)
	}
	// Wrong client secret: the create is refused, not retried for ever.
	o2 := newOutside(t, func(c *payu.Config) { c.ClientSecret = "wrong" })
	_, err := o2.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-sec", Backend: "payu", Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Description: "x", ClientIP: "203.0.113.7"})
	var be *getpaid.BrokerError
	if err == nil || !errorsAs(err, &be) || be.Retryable {
		t.Errorf("wrong client secret: %v (retryable=%v)", err, be != nil && be.Retryable)
	}
	t.Logf("wrong client secret: %v", err)
}

func TestOutsideXHeaderOnly(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.pay(t, "10.00")
	b := o.fake.orderNote(id, "COMPLETED", "")
	req, _ := http.NewRequest(http.MethodPost, o.fake.order(id).Notify, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-OpenPayU-Signature", signPayU(b, fakeKey, "MD5"))
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || o.payment(t, p.ID).Status != getpaid.StatusPaid {
		t.Errorf("X-OpenPayU-Signature only: %d %s", resp.StatusCode, o.payment(t, p.ID).Status)
	}
}

// The refund's answer is lost after PayU made it: the reconciler finds it in
// the order's refund list (the OpenAPI's bare array).
func TestOutsideDoubtReconciled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "COMPLETED")
	b := o.fake.orderNote(id, "COMPLETED", "")
	o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	// made, then lost: put the refund there by hand as PayU would have
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders/"+id+"/refunds"] = 504 })
	amt := getpaid.MustParseMoney("40.00", "PLN")
	_, err := o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt, IdempotencyKey: "k"})
	ops, _ := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if ops == nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
		t.Fatalf("refund on 504: %v %+v", err, ops)
	}
	opID := ops.Operations[0].ID
	var sent struct {
		Refund struct{ ExtRefundID string }
	}
	o.fake.locked(func() { json.Unmarshal(o.fake.bodies["POST /api/v2_1/orders/"+id+"/refunds"], &sent) })
	o.fake.mu.Lock()
	o.fake.refunds[id] = append(o.fake.refunds[id], &fakeRefund{ID: "5000000999", Ext: sent.Refund.ExtRefundID, Amount: "4000", Currency: "PLN", Status: "FINALIZED"})
	delete(o.fake.fail, "POST /api/v2_1/orders/"+id+"/refunds")
	o.fake.mu.Unlock()
	if _, err := o.eng.CheckOperation(ctx, opID); err != nil {
		t.Fatalf("check: %v", err)
	}
	if _, err := o.eng.Reconcile(ctx, 10); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	op, _ := o.eng.Operation(ctx, opID)
	if op.State != getpaid.OpSucceeded {
		t.Errorf("after the lookup: %s (%s)", op.State, op.LastCheck)
	}
	if got := o.payment(t, p.ID); got.Refunded != 4000 || got.Status != getpaid.StatusPartiallyRefunded {
		t.Errorf("after the lookup: %s refunded %d", got.Status, got.Refunded)
	}
	if n := o.fake.called("POST /api/v2_1/orders/" + id + "/refunds"); n != 1 {
		t.Errorf("refund asked %d times", n)
	}
}

// A PayU (or a fake of it) that knows only the capture the payment lifecycle
// page describes (PUT …/status, deprecated in the OpenAPI) still captures.
func TestOutsideCaptureByStatusUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.held(t, "100.00")
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders/"+id+"/captures"] = 404 })
	res, err := o.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "c"})
	if err != nil {
		t.Fatalf("capture: %v (calls %v)", err, o.fake.callList())
	}
	if res.Payment.Status != getpaid.StatusPaid || o.fake.called("PUT /api/v2_1/orders/"+id+"/status") != 1 {
		t.Errorf("capture: %s, calls %v", res.Payment.Status, o.fake.callList())
	}
}

// The refund's answer is lost, and PayU's FINALIZED notification (which
// names PayU's refundId, not extRefundId, in the documented sample) comes
// before the reconciler's lookup.
func TestOutsideRefundNotificationOvertakesLostAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.paid(t, "100.00")
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders/"+id+"/refunds"] = 504 })
	amt := getpaid.MustParseMoney("40.00", "PLN")
	o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt, IdempotencyKey: "k"})
	rf := &fakeRefund{ID: "5000000777", Amount: "4000", Currency: "PLN", Status: "FINALIZED"}
	rb := o.fake.refundNote(id, rf, "FINALIZED")
	got := o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5"))
	pp := o.payment(t, p.ID)
	ops, _ := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	t.Logf("answered %d; %s refunded %d asked %d; op %s", got, pp.Status, pp.Refunded, pp.RefundAsked, ops.Operations[0].State)
	if got != 200 || pp.Refunded != 4000 || pp.RefundAsked != 0 {
		t.Errorf("answered %d; %s refunded %d asked %d", got, pp.Status, pp.Refunded, pp.RefundAsked)
	}
	// The reconciler then finds it in PayU's list: counted once.
	var sent struct {
		Refund struct{ ExtRefundID string }
	}
	o.fake.locked(func() { json.Unmarshal(o.fake.bodies["POST /api/v2_1/orders/"+id+"/refunds"], &sent) })
	rf.Ext = sent.Refund.ExtRefundID
	o.fake.mu.Lock()
	o.fake.refunds[id] = append(o.fake.refunds[id], rf)
	o.fake.mu.Unlock()
	if op := ops.Operations[0]; !op.State.Final() {
		if _, err := o.eng.CheckOperation(ctx, op.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := o.eng.Reconcile(ctx, 10); err != nil {
			t.Fatal(err)
		}
		op, _ = o.eng.Operation(ctx, op.ID)
		pp = o.payment(t, p.ID)
		t.Logf("after the lookup: op %s; %s refunded %d asked %d", op.State, pp.Status, pp.Refunded, pp.RefundAsked)
		if op.State != getpaid.OpSucceeded || pp.Refunded != 4000 || pp.RefundAsked != 0 {
			t.Errorf("after the lookup: op %s; %s refunded %d asked %d", op.State, pp.Status, pp.Refunded, pp.RefundAsked)
		}
	}
}

// A refund made in PayU's panel is recorded from its notification.
func TestOutsidePanelRefund(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.paid(t, "100.00")
	rf := &fakeRefund{ID: "5000000888", Amount: "2500", Currency: "PLN"}
	rb := o.fake.refundNote(id, rf, "FINALIZED")
	got := o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5"))
	pp := o.payment(t, p.ID)
	if got != 200 || pp.Refunded != 2500 || pp.Status != getpaid.StatusPartiallyRefunded {
		t.Errorf("answered %d; %s refunded %d", got, pp.Status, pp.Refunded)
	}
	// the same, repeated: counted once
	o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5"))
	if pp = o.payment(t, p.ID); pp.Refunded != 2500 {
		t.Errorf("repeated panel refund: refunded %d", pp.Refunded)
	}
}

func TestOutsideCurrencyAndSpelling(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.pay(t, "10.00")
	b := bytes.Replace(o.fake.orderNote(id, "COMPLETED", ""), []byte(`"currencyCode":"PLN"`), []byte(`"currencyCode":"EUR"`), 1)
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); got != 422 {
		t.Errorf("other currency answered %d", got)
	}
	b = o.fake.orderNote(id, "COMPLETED", "")
	if got := o.fake.notify(t, id, b, signPayU(b, fakeKey, "SHA256")); got != 200 || o.payment(t, p.ID).Status != getpaid.StatusPaid {
		t.Errorf("algorithm=SHA256 answered %d", got)
	}
}

func TestOutsideShortTokenAndHUF(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	o.fake.locked(func() { o.fake.expiresIn = 30 })
	p, err := o.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-huf", Backend: "payu", Amount: getpaid.MustParseMoney("10", "HUF"),
		Description: "x", ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatalf("pay with a 30 s token: %v", err)
	}
	id := o.fake.orderID(p.ID)
	if got := o.fake.order(id).Total; got != "1000" {
		t.Errorf("10 HUF sent as %s, want 1000", got)
	}
	if _, err := o.eng.Poll(ctx, p.ID); err != nil {
		t.Errorf("poll with a 30 s token: %v", err)
	}
	t.Logf("token fetches: %d", o.fake.called("POST /pl/standard/user/oauth/authorize"))
	// A 401 that lasts: one retry, then an error (no loop).
	o.fake.mu.Lock()
	o.fake.fail["GET /api/v2_1/orders/"] = 401
	o.fake.mu.Unlock()
	before := o.fake.called("GET /api/v2_1/orders/")
	_, err = o.eng.Poll(ctx, p.ID)
	t.Logf("poll on lasting 401: %v (%d GETs)", err, o.fake.called("GET /api/v2_1/orders/")-before)
	if err == nil || o.fake.called("GET /api/v2_1/orders/")-before > 2 {
		t.Errorf("lasting 401: %v, %d calls", err, o.fake.called("GET /api/v2_1/orders/")-before)
	}
}

// PayU's OpenAPI documents the order retrieve's 200 answer as orders and
// properties, with no status object: an answer of that shape is PayU's, and
// polling (and the reconciler's check of a capture or release) reads it.
func TestOutsideRetrieveWithoutStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "10.00")
	o.fake.mu.Lock()
	o.fake.noStatus = true
	o.fake.mu.Unlock()
	o.fake.setStatus(id, "COMPLETED")
	got, err := o.eng.Poll(ctx, p.ID)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	if got.Status != getpaid.StatusPaid || got.Captured != 1000 {
		t.Errorf("after poll: %s captured %d", got.Status, got.Captured)
	}
}

// PayU's orders never leave CANCELED: a WAITING_FOR_CONFIRMATION that
// arrives after the CANCELED of a hold PayU let expire (notifications come
// at least once and in any order; each status has its own event id, so the
// late one is no duplicate) is an earlier state delivered late. The payment
// stays failed, holding nothing, and the notification is acknowledged so
// that PayU stops sending it.
func TestOutsideHoldAfterCanceledIsStale(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.pay(t, "100.00")
	o.fake.setStatus(id, "WAITING_FOR_CONFIRMATION")
	held := o.fake.orderNote(id, "WAITING_FOR_CONFIRMATION", "")
	o.fake.setStatus(id, "CANCELED")
	canceled := o.fake.orderNote(id, "CANCELED", "")
	if got := o.fake.notify(t, id, canceled, signPayU(canceled, fakeKey, "MD5")); got != 200 {
		t.Fatalf("CANCELED answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusFailed || got.Locked != 0 {
		t.Fatalf("after CANCELED: %s locked %d; want failed, nothing held", got.Status, got.Locked)
	}
	if got := o.fake.notify(t, id, held, signPayU(held, fakeKey, "MD5")); got != 200 {
		t.Fatalf("the late WAITING_FOR_CONFIRMATION answered %d; want 200", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusFailed || got.Locked != 0 {
		t.Fatalf("after the late WAITING_FOR_CONFIRMATION: %s locked %d; want failed, nothing held", got.Status, got.Locked)
	}
}
