package payu_test

// Outside-in checks against the fake PayU of outsidefake_test.go where an
// answer is lost, late or shaped otherwise than our simulator shapes it.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// A partial capture: PayU documents neither the order's totalAmount after it
// nor the COMPLETED notification's; a fake that keeps the order's amount
// (nothing says it changes) sends COMPLETED with the whole of it.
func TestOutsidePartialCaptureThenCompleted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.held(t, "100.00")
	amt := getpaid.MustParseMoney("30.00", "PLN")
	res, err := o.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt, IdempotencyKey: "c"})
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	t.Logf("after partial capture: %s captured %d locked %d; body %s", res.Payment.Status, res.Payment.Captured, res.Payment.Locked,
		o.fake.get("POST /api/v2_1/orders/"+id+"/captures"))
	b := o.fake.orderNote(id, "COMPLETED", "")
	code := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	got := o.payment(t, p.ID)
	t.Logf("COMPLETED 10000 after it: answered %d; %s captured %d", code, got.Status, got.Captured)
	if got.Captured != 3000 {
		t.Errorf("COMPLETED with the order's whole amount after a partial capture of 30.00: captured %d, want 3000", got.Captured)
	}
	b = o.fake.orderNote(id, "COMPLETED", "3000")
	code = o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	got = o.payment(t, p.ID)
	t.Logf("COMPLETED 3000: answered %d; %s captured %d", code, got.Status, got.Captured)
	// and a poll
	got, err = o.eng.Poll(ctx, p.ID)
	t.Logf("poll: %v; %s captured %d", err, got.Status, got.Captured)
}

// ip_allowlist: PayU's published production addresses only, the sender
// resolved through trusted proxies only.
func TestOutsideIPAllowlist(t *testing.T) {
	t.Parallel()
	o := newOutside(t, func(c *payu.Config) { c.IPAllowlist = true }, netip.MustParsePrefix("127.0.0.0/8"))
	p, id := o.pay(t, "10.00")
	b := o.fake.orderNote(id, "COMPLETED", "")
	send := func(xff string) int {
		req, _ := http.NewRequest(http.MethodPost, o.fake.order(id).Notify, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("OpenPayu-Signature", signPayU(b, fakeKey, "MD5"))
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		xff  string
		want int
	}{{"", 403}, {"185.68.14.10", 403}, {"185.68.12.10, 203.0.113.9", 403}, {"203.0.113.9, 185.68.12.27", 200}} {
		if got := send(tc.xff); got != tc.want {
			t.Errorf("X-Forwarded-For %q: %d, want %d", tc.xff, got, tc.want)
		}
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPaid {
		t.Errorf("status %s", got.Status)
	}
}

// A refund's notification is lost: the pending refund is looked up in the
// order's refund list (the OpenAPI's bare array).
func TestOutsideLostRefundNotification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.paid(t, "100.00")
	res, err := o.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Operation.State != getpaid.OpPending {
		t.Fatalf("refund: %s", res.Operation.State)
	}
	o.fake.locked(func() { o.fake.refunds[id][0].Status = "FINALIZED" })
	if _, err := o.eng.CheckOperation(ctx, res.Operation.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := o.eng.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	op, _ := o.eng.Operation(ctx, res.Operation.ID)
	got := o.payment(t, p.ID)
	if op.State != getpaid.OpSucceeded || got.Status != getpaid.StatusRefunded || got.Refunded != 10000 {
		t.Errorf("after the lookup: op %s; %s refunded %d", op.State, got.Status, got.Refunded)
	}
	// its notification, late: nothing twice
	rb := o.fake.refundNote(id, o.fake.refundsOf(id)[0], "FINALIZED")
	if code := o.fake.notify(t, id, rb, signPayU(rb, fakeKey, "MD5")); code != 200 {
		t.Errorf("late FINALIZED answered %d", code)
	}
	if got := o.payment(t, p.ID); got.Refunded != 10000 {
		t.Errorf("after the late notification: refunded %d", got.Refunded)
	}
}

// A notification found by PayU's orderId alone (no extOrderId in it).
func TestOutsideNotificationWithoutExtOrderID(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.pay(t, "10.00")
	b := bytes.Replace(o.fake.orderNote(id, "COMPLETED", ""), []byte(`"extOrderId":"`+p.ID+`",`), nil, 1)
	if bytes.Contains(b, []byte("extOrderId")) {
		t.Fatal("extOrderId still there")
	}
	code := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5"))
	got := o.payment(t, p.ID)
	t.Logf("answered %d; %s", code, got.Status)
	if code != 200 || got.Status != getpaid.StatusPaid {
		t.Errorf("answered %d; %s", code, got.Status)
	}
}

// Twenty payments at once share one token.
func TestOutsideConcurrentToken(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := o.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: fmt.Sprint("c-", i), Backend: "payu",
				Amount: getpaid.MustParseMoney("1.00", "PLN"), Description: "x", ClientIP: "203.0.113.7"})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := o.fake.called("POST /pl/standard/user/oauth/authorize"); n != 1 {
		t.Errorf("%d token fetches for 20 concurrent creates", n)
	}
}

// A partial capture PayU carried out whose answer was lost: in doubt, then
// settled from the order's status.
func TestOutsideCaptureInDoubt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		amount  string // "" = the whole hold
		stated  string // the totalAmount PayU's retrieve states after it
		wantCap int64
	}{
		{"whole", "", "", 10000},
		{"part, total restated as captured", "30.00", "3000", 3000},
		{"part, total kept as ordered", "30.00", "", 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newOutside(t, nil)
			p, id := o.held(t, "100.00")
			o.fake.locked(func() { o.fake.lose = map[string]bool{"POST /api/v2_1/orders/" + id + "/captures": true} })
			req := getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "c"}
			if tc.amount != "" {
				m := getpaid.MustParseMoney(tc.amount, "PLN")
				req.Amount = &m
			}
			_, err := o.eng.Capture(ctx, req)
			ops, _ := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
			if len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
				t.Fatalf("capture with its answer lost: %v, %+v", err, ops.Operations)
			}
			if tc.stated != "" {
				o.fake.locked(func() { o.fake.orders[id].Total = tc.stated })
			}
			o.eng.CheckOperation(ctx, ops.Operations[0].ID)
			if _, err := o.eng.Reconcile(ctx, 10); err != nil {
				t.Fatal(err)
			}
			op, _ := o.eng.Operation(ctx, ops.Operations[0].ID)
			got := o.payment(t, p.ID)
			if op.State != getpaid.OpSucceeded || got.Captured != tc.wantCap || got.Locked != 0 {
				t.Errorf("after the check: op %s; %s captured %d locked %d", op.State, got.Status, got.Captured, got.Locked)
			}
			if n := o.fake.called("POST /api/v2_1/orders/" + id + "/captures"); n != 1 {
				t.Errorf("captured %d times", n)
			}
		})
	}
}

// The partial capture's answer is lost and PayU's COMPLETED, stating the
// order's whole totalAmount, comes before the reconciler's check.
func TestOutsideCompletedOvertakesPartialCaptureInDoubt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.held(t, "100.00")
	o.fake.locked(func() { o.fake.lose = map[string]bool{"POST /api/v2_1/orders/" + id + "/captures": true} })
	amt := getpaid.MustParseMoney("30.00", "PLN")
	o.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &amt, IdempotencyKey: "c"})
	b := o.fake.orderNote(id, "COMPLETED", "")
	if code := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); code != 200 {
		t.Errorf("COMPLETED answered %d", code)
	}
	if got := o.payment(t, p.ID); got.Captured != 3000 || got.Locked != 0 {
		t.Errorf("after COMPLETED 10000 with a capture of 30.00 in doubt: %s captured %d locked %d", got.Status, got.Captured, got.Locked)
	}
	ops, _ := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	o.eng.CheckOperation(ctx, ops.Operations[0].ID)
	if _, err := o.eng.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	op, _ := o.eng.Operation(ctx, ops.Operations[0].ID)
	if got := o.payment(t, p.ID); op.State != getpaid.OpSucceeded || got.Captured != 3000 || got.Status != getpaid.StatusPartiallyPaid {
		t.Errorf("after the check: op %s; %s captured %d", op.State, got.Status, got.Captured)
	}
}

func TestOutsideCreateAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code int
		sc   string
	}{{http.StatusCreated, "SUCCESS"}, {http.StatusFound, "WARNING_CONTINUE_REDIRECT"}, {http.StatusCreated, "WARNING_CONTINUE_3DS"}} {
		o := newOutside(t, nil)
		o.fake.locked(func() { o.fake.createdCode, o.fake.createdAs = tc.code, tc.sc })
		p, id := o.pay(t, "10.00")
		if p.Status != getpaid.StatusPrepared || p.ExternalID != id {
			t.Errorf("%d %s: %s %s", tc.code, tc.sc, p.Status, p.ExternalID)
		}
	}
	o := newOutside(t, nil)
	o.fake.locked(func() { o.fake.fail["POST /api/v2_1/orders"] = http.StatusTooManyRequests })
	_, err := o.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-429", Backend: "payu", Amount: getpaid.MustParseMoney("10.00", "PLN"),
		Description: "x", ClientIP: "203.0.113.7"})
	var be *getpaid.BrokerError
	if !errorsAs(err, &be) || !be.Retryable {
		t.Errorf("create on 429: %v", err)
	}
}

// Cancel of an unpaid order: DELETE, then PayU's CANCELED changes nothing more.
func TestOutsideCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOutside(t, nil)
	p, id := o.pay(t, "10.00")
	res, err := o.eng.Cancel(ctx, getpaid.ActionRequest{PaymentID: p.ID, IdempotencyKey: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Payment.Status != getpaid.StatusCancelled || o.fake.called("DELETE /api/v2_1/orders/"+id) != 1 {
		t.Errorf("cancel: %s, calls %v", res.Payment.Status, o.fake.callList())
	}
	b := o.fake.orderNote(id, "CANCELED", "")
	if code := o.fake.notify(t, id, b, signPayU(b, fakeKey, "MD5")); code != 200 {
		t.Errorf("CANCELED answered %d", code)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusCancelled {
		t.Errorf("after CANCELED: %s", got.Status)
	}
}
