package przelewy24_test

// Outside-in checks of Przelewy24 refunds, error answers and settings
// against the fake of outsidefake_test.go.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24"
)

func (o *xOutside) paid(t *testing.T, amount string) (*getpaid.Payment, *xTrn) {
	t.Helper()
	p, err := o.create(t, amount, "PLN", "Two mugs")
	if err != nil {
		t.Fatal(err)
	}
	tr := o.fake.trn(t, p.ID)
	if got := o.fake.post(t, tr.Notify, o.fake.pay(t, p.ID, 0)); got != 200 {
		t.Fatalf("notification answered %d", got)
	}
	return p, tr
}

func (o *xOutside) refund(t *testing.T, id, amount, key string) (*getpaid.ActionResult, error) {
	t.Helper()
	req := getpaid.ActionRequest{PaymentID: id, IdempotencyKey: key}
	if amount != "" {
		m := getpaid.MustParseMoney(amount, "PLN")
		req.Amount = &m
	}
	return o.eng.Refund(context.Background(), req)
}

// reconcile makes the operation due and runs the reconciler once.
func (o *xOutside) reconcile(t *testing.T, id string) (*getpaid.Operation, error) {
	t.Helper()
	ctx := context.Background()
	if op, err := o.eng.Operation(ctx, id); err == nil && !op.State.Final() {
		if _, err := o.eng.CheckOperation(ctx, id); err != nil {
			return nil, err
		}
	}
	if _, err := o.eng.Reconcile(ctx, 10); err != nil {
		return nil, err
	}
	return o.eng.Operation(ctx, id)
}

func TestOutsideRefundsPartialThenFull(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p, tr := o.paid(t, "100.00")
	res, err := o.refund(t, p.ID, "30.00", "r1")
	if err != nil {
		t.Fatalf("refund 30: %v", err)
	}
	if res.Payment.RefundAsked != 3000 {
		t.Errorf("after asking: %s asked %d", res.Payment.Status, res.Payment.RefundAsked)
	}
	o.fake.mu.Lock()
	req := o.fake.refunds[0]
	o.fake.mu.Unlock()
	rid, _ := req["requestId"].(string)
	uuid, _ := req["refundsUuid"].(string)
	if rid == "" || uuid == "" || req["urlStatus"] != o.shop.URL+"/payments/callback/przelewy24" {
		t.Errorf("refund request %v", req)
	}
	items, _ := req["refunds"].([]any)
	if len(items) != 1 {
		t.Fatalf("refunds %v", req["refunds"])
	}
	it := items[0].(map[string]any)
	if it["orderId"] != json.Number(itoa(tr.OrderID)) || it["sessionId"] != p.ID || it["amount"] != json.Number("3000") {
		t.Errorf("refund item %v", it)
	}
	body, url := o.fake.finishRefund(t, p.ID, rid, 0)
	if got := o.fake.post(t, url, body); got != 200 {
		t.Errorf("refund notification answered %d", got)
	}
	if got := o.fake.post(t, url, body); got != 200 {
		t.Errorf("replayed refund notification answered %d", got)
	}
	got := o.payment(t, p.ID)
	if got.Status != getpaid.StatusPartiallyRefunded || got.Refunded != 3000 || got.RefundAsked != 0 {
		t.Errorf("after the refund notification: %s refunded %d asked %d", got.Status, got.Refunded, got.RefundAsked)
	}
	if _, err := o.refund(t, p.ID, "", "r2"); err != nil {
		t.Fatalf("refund the rest: %v", err)
	}
	o.fake.mu.Lock()
	rid2, _ := o.fake.refunds[1]["requestId"].(string)
	o.fake.mu.Unlock()
	if rid2 == rid {
		t.Fatalf("second refund reused requestId %s", rid)
	}
	body, url = o.fake.finishRefund(t, p.ID, rid2, 0)
	if got := o.fake.post(t, url, body); got != 200 {
		t.Errorf("refund notification answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusRefunded || got.Refunded != 10000 {
		t.Errorf("after the full refund: %s refunded %d", got.Status, got.Refunded)
	}
}

func TestOutsideRefundRejected(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p, _ := o.paid(t, "100.00")
	if _, err := o.refund(t, p.ID, "40.00", "r1"); err != nil {
		t.Fatal(err)
	}
	o.fake.mu.Lock()
	rid, _ := o.fake.refunds[0]["requestId"].(string)
	o.fake.mu.Unlock()
	body, url := o.fake.finishRefund(t, p.ID, rid, 1)
	if got := o.fake.post(t, url, body); got != 200 {
		t.Errorf("rejected refund notification answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusPaid || got.Refunded != 0 || got.RefundAsked != 0 {
		t.Errorf("after the rejection: %s refunded %d asked %d", got.Status, got.Refunded, got.RefundAsked)
	}
}

func TestOutsideRefundBadSign(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p, _ := o.paid(t, "100.00")
	if _, err := o.refund(t, p.ID, "40.00", "r1"); err != nil {
		t.Fatal(err)
	}
	o.fake.mu.Lock()
	rid, _ := o.fake.refunds[0]["requestId"].(string)
	o.fake.mu.Unlock()
	body, url := o.fake.finishRefund(t, p.ID, rid, 0)
	bad := strings.Replace(string(body), `"amount":4000`, `"amount":4001`, 1)
	if got := o.fake.post(t, url, []byte(bad)); got != 403 {
		t.Errorf("tampered refund notification answered %d, want 403", got)
	}
	if got := o.payment(t, p.ID); got.Refunded != 0 {
		t.Errorf("tampered refund counted: refunded %d", got.Refunded)
	}
}

func TestOutsideRefundLostAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newXOutside(t, nil)
	p, _ := o.paid(t, "100.00")
	o.fake.set(func(f *xP24) { f.refundLost = true })
	res, err := o.refund(t, p.ID, "25.00", "r1")
	if err == nil {
		t.Fatalf("lost answer reported as success: %+v", res.Operation)
	}
	ops, err := o.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
	if err != nil || len(ops.Operations) != 1 {
		t.Fatalf("operations %v %v", ops, err)
	}
	op := ops.Operations[0]
	if op.State != getpaid.OpUnknown {
		t.Errorf("operation after a lost answer is %s, want unknown", op.State)
	}
	o.fake.set(func(f *xP24) { f.refundLost = false })
	// The same key again: never a second refund at Przelewy24.
	if _, err := o.refund(t, p.ID, "25.00", "r1"); err == nil {
		t.Errorf("retry of a refund in doubt answered as done")
	}
	if n := o.fake.count("POST /api/v1/transaction/refund"); n != 1 {
		t.Errorf("refund sent %d times", n)
	}
	got, err := o.reconcile(t, op.ID)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if got.State != getpaid.OpPending {
		t.Errorf("after the lookup the operation is %s, want pending (Przelewy24 shows it pending)", got.State)
	}
	o.fake.mu.Lock()
	rid, _ := o.fake.refunds[0]["requestId"].(string)
	o.fake.mu.Unlock()
	o.fake.finishRefund(t, p.ID, rid, 0) // its notification is lost too
	got, err = o.reconcile(t, op.ID)
	if err != nil || got.State != getpaid.OpSucceeded {
		t.Fatalf("after the refund completed: %v %v", got, err)
	}
	if p := o.payment(t, p.ID); p.Refunded != 2500 || p.Status != getpaid.StatusPartiallyRefunded {
		t.Errorf("payment %s refunded %d", p.Status, p.Refunded)
	}
}

func TestOutsideRefundOverdrawn(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p, _ := o.paid(t, "100.00")
	// Another refund made in Przelewy24's panel leaves less than getpaid thinks.
	o.fake.mu.Lock()
	tr := o.fake.trns[p.ID]
	tr.Refunds = append(tr.Refunds, xRefund{RequestID: "panel", Uuid: "panel", Amount: 9000, Status: 1})
	o.fake.mu.Unlock()
	_, err := o.refund(t, p.ID, "50.00", "r1")
	var be *getpaid.BrokerError
	if err == nil || !errors.As(err, &be) || be.Retryable {
		t.Fatalf("409 from Przelewy24: %v", err)
	}
	if !strings.Contains(err.Error(), "exceeds available amount") {
		t.Errorf("the error does not carry Przelewy24's message: %v", err)
	}
	if got := o.payment(t, p.ID); got.RefundAsked != 0 || got.Refunded != 0 {
		t.Errorf("after a refused refund: asked %d refunded %d", got.RefundAsked, got.Refunded)
	}
}

func TestOutsideConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  func(*przelewy24.Config)
	}{
		{"wrong api key", func(c *przelewy24.Config) { c.APIKey = "nope" }},
		{"pos id left out", func(c *przelewy24.Config) { c.PosID = 0 }},
		{"wrong crc", func(c *przelewy24.Config) { c.CRC = "0000000000000000" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newXOutside(t, tc.mod)
			_, err := o.create(t, "10.00", "PLN", "x")
			var be *getpaid.BrokerError
			if err == nil || !errors.As(err, &be) || be.Retryable {
				t.Fatalf("create against a refusing Przelewy24: %v", err)
			}
			if !strings.Contains(err.Error(), "Incorrect authentication") && !strings.Contains(err.Error(), "Invalid input data") {
				t.Errorf("error does not carry Przelewy24's text: %v", err)
			}
		})
	}
	for _, cfg := range []przelewy24.Config{
		{PosID: xPos, CRC: xCRC, APIKey: xKey},
		{MerchantID: xMerchant, APIKey: xKey},
		{MerchantID: xMerchant, CRC: xCRC},
	} {
		if _, err := przelewy24.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// A refund sent again with the same operation id (a process that died
// during the call resumes it) is answered "Request already exists" by
// Przelewy24 and reported as the lookup shows it, never made twice.
func TestOutsideRefundResent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newXOutside(t, nil)
	p, _ := o.paid(t, "100.00")
	b := o.eng.Registry().All()[0].Broker.(*przelewy24.Broker)
	pay := o.payment(t, p.ID)
	req := &getpaid.RefundRequest{Payment: pay, Amount: getpaid.MustParseMoney("10.00", "PLN"), OperationID: "op_resent000000000000000000"}
	first, err := b.Refund(ctx, req)
	if err != nil || first.Kind != getpaid.KindRefundStarted {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := b.Refund(ctx, req)
	if err != nil || again.Kind != getpaid.KindRefundStarted || again.OperationID != req.OperationID || again.Amount.Minor != 1000 {
		t.Fatalf("resent: %+v %v", again, err)
	}
	o.fake.finishRefund(t, p.ID, "op_resent000000000000000000", 0)
	again, err = b.Refund(ctx, req)
	if err != nil || again.Kind != getpaid.KindRefunded || again.EventID != "refund:op_resent000000000000000000:"+pay.ExternalID {
		t.Fatalf("resent after it completed: %+v %v", again, err)
	}
	if n := len(o.fake.trn(t, p.ID).Refunds); n != 1 {
		t.Errorf("%d refunds at Przelewy24, want 1", n)
	}
}

// Przelewy24 answers 500 without refunding: the operation is in doubt, and
// a lookup that finds nothing right away is not taken as "never made" (it
// may be in Przelewy24's queue): the money in doubt cannot be refunded again.
func TestOutsideRefund500NotApplied(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p, _ := o.paid(t, "100.00")
	srv := o.fake.srv.Config.Handler
	o.fake.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/transaction/refund" {
			xJSON(w, 500, map[string]any{"error": "Unknown error", "code": 500})
			return
		}
		srv.ServeHTTP(w, r)
	})
	if _, err := o.refund(t, p.ID, "60.00", "r1"); err == nil {
		t.Fatal("a 500 reported as success")
	}
	ops, _ := o.eng.Operations(context.Background(), getpaid.OperationFilter{PaymentID: p.ID})
	op := ops.Operations[0]
	if op.State != getpaid.OpUnknown {
		t.Fatalf("after a 500: %s, want unknown", op.State)
	}
	o.fake.srv.Config.Handler = srv
	got, err := o.reconcile(t, op.ID)
	if err != nil || got.State != getpaid.OpUnknown {
		t.Fatalf("after a first lookup that finds nothing: %+v %v", got, err)
	}
	if _, err := o.refund(t, p.ID, "60.00", "r2"); err == nil {
		t.Errorf("the money in doubt was refundable again")
	}
}
