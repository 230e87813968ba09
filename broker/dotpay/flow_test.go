package dotpay_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dotpay"
	"github.com/getpaid-go/getpaid/broker/dotpay/dotpaytest"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/memory"
)

// flow is getpaid (engine and HTTP layer on an httptest server) with one
// Dotpay backend against its simulator.
type flow struct {
	sim *dotpaytest.Server
	b   *dotpay.Broker
	eng *engine.Engine
	url string // getpaid's base URL
}

func newFlow(t *testing.T, simCfg dotpaytest.Config, tweak func(*dotpay.Config)) *flow {
	t.Helper()
	return newFlowBehind(t, simCfg, tweak, nil)
}

// newFlowBehind is newFlow with getpaid trusting proxies.
func newFlowBehind(t *testing.T, simCfg dotpaytest.Config, tweak func(*dotpay.Config), proxies []string) *flow {
	t.Helper()
	if simCfg.RetryDelay == 0 {
		simCfg.RetryDelay = 5 * time.Millisecond
	}
	sim := dotpaytest.Start(simCfg)
	t.Cleanup(sim.Close)
	c := sim.Config()
	off := false
	cfg := dotpay.Config{ShopID: c.ShopID, PIN: c.PIN, APIURL: sim.URL(), IPAllowlist: &off,
		APIUsername: c.APIUsername, APIPassword: c.APIPassword, Currencies: []string{"PLN", "EUR", "USD", "JPY"},
		HTTPClient: &http.Client{Timeout: time.Second}}
	if tweak != nil {
		tweak(&cfg)
	}
	b, err := dotpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dotpay", Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	var h atomic.Pointer[httpapi.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	eng, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	trusted, err := httpapi.ParseProxies(proxies)
	if err != nil {
		t.Fatal(err)
	}
	handler, err := httpapi.New(httpapi.Config{Service: eng, TrustedProxies: trusted})
	if err != nil {
		t.Fatal(err)
	}
	h.Store(handler)
	return &flow{sim: sim, b: b, eng: eng, url: srv.URL}
}

func (f *flow) pay(t *testing.T, amount getpaid.Money) *getpaid.Payment {
	t.Helper()
	p, err := f.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-" + getpaid.NewID("o"), Backend: "dotpay",
		Amount: amount, Description: "Zamówienie", Buyer: getpaid.Buyer{Email: "jan@example.com", FirstName: "Jan"},
		ReturnURL: "https://shop.example/order"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// wait waits for the payment to satisfy cond.
func (f *flow) wait(t *testing.T, id string, what string, cond func(*getpaid.Payment) bool) *getpaid.Payment {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err := f.eng.Payment(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment never %s: %+v", what, p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func status(s getpaid.Status) func(*getpaid.Payment) bool {
	return func(p *getpaid.Payment) bool { return p.Status == s }
}

func (f *flow) paid(t *testing.T, amount getpaid.Money) *getpaid.Payment {
	t.Helper()
	p := f.pay(t, amount)
	if err := f.sim.Pay(context.Background(), p.Redirect, dotpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	return f.wait(t, p.ID, "paid", status(getpaid.StatusPaid))
}

// A buyer paying in another currency: Dotpay books PLN, the shop asked
// USD; the payment is paid in USD and every URLC was acknowledged "OK".
func TestForeignCurrencyPayment(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{Exchange: func(h int64, cur string) (int64, string) {
		if cur == "USD" {
			return h * 365 / 100, "PLN"
		}
		return h, cur
	}}, nil)
	p := f.paid(t, getpaid.MustParseMoney("58.07", "USD"))
	if p.Captured != 5807 || p.ExternalID == "" {
		t.Fatalf("%+v", p)
	}
	_ = f.sim.Quiet(context.Background())
	for _, d := range f.sim.Notifications() {
		if d.Code != http.StatusOK || d.Body != "OK" {
			t.Fatalf("URLC answered %d %q", d.Code, d.Body)
		}
	}
}

// Card payments carry the credit_card_* fields, which the signature covers.
func TestCardPayment(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{Cards: true}, nil)
	f.paid(t, getpaid.Money{Minor: 1500, Currency: "JPY"})
}

// A transfer booked later: charge_started, then paid when Dotpay completes it.
func TestProcessingThenCompleted(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	p := f.pay(t, getpaid.MustParseMoney("10.00", "EUR"))
	if err := f.sim.Pay(context.Background(), p.Redirect, dotpaytest.OutcomeProcessing); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, "charge_started", status(getpaid.StatusChargeStarted))
	if err := f.sim.Settle(p.ID, true); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, "paid", status(getpaid.StatusPaid))
}

// A rejected attempt, then a second one that pays: failed, then paid.
func TestRetryAfterRejection(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	p := f.pay(t, getpaid.MustParseMoney("10.00", "PLN"))
	if err := f.sim.Pay(context.Background(), p.Redirect, dotpaytest.OutcomeDeclined); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, "failed", status(getpaid.StatusFailed))
	if err := f.sim.Pay(context.Background(), p.Redirect, dotpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	q := f.wait(t, p.ID, "paid", status(getpaid.StatusPaid))
	ops := f.sim.Operations(p.ID)
	if len(ops) != 2 || q.ExternalID != ops[1].Number {
		t.Fatalf("external id %q, operations %+v", q.ExternalID, ops)
	}
}

// Refunds through getpaid: the seller API accepts them, their URLCs finish
// them, partial then whole.
func TestRefundThroughSellerAPI(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	p := f.paid(t, getpaid.MustParseMoney("100.00", "PLN"))
	third := getpaid.MustParseMoney("30.00", "PLN")
	res, err := f.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &third, IdempotencyKey: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Payment.Status != getpaid.StatusRefundStarted && res.Payment.Status != getpaid.StatusPartiallyRefunded {
		t.Fatalf("after asking: %s", res.Payment.Status)
	}
	f.wait(t, p.ID, "partially refunded", func(q *getpaid.Payment) bool {
		return q.Status == getpaid.StatusPartiallyRefunded && q.Refunded == 3000 && q.RefundAsked == 0
	})
	// The same request again refunds nothing more.
	if _, err := f.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &third, IdempotencyKey: "r1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID}); err != nil {
		t.Fatal(err)
	}
	q := f.wait(t, p.ID, "refunded", status(getpaid.StatusRefunded))
	if q.Refunded != 10000 {
		t.Fatalf("refunded %d", q.Refunded)
	}
	// Each refund at Dotpay carries its operation's id as control, and each
	// operation ended with the refund's number.
	page, err := f.eng.Operations(context.Background(), getpaid.OperationFilter{PaymentID: p.ID})
	if err != nil || len(page.Operations) != 2 {
		t.Fatalf("operations %+v, %v", page, err)
	}
	for _, op := range page.Operations {
		at := f.sim.Operations(op.ID)
		if len(at) != 1 || at[0].Type != "refund" || at[0].Related != q.ExternalID || at[0].Status != "completed" ||
			at[0].Amount != op.Amount || op.State != getpaid.OpSucceeded || op.BrokerRef != at[0].Number {
			t.Fatalf("operation %+v; at Dotpay %+v", op, at)
		}
	}
	for _, op := range f.sim.Operations(p.ID) {
		if op.Type == "refund" {
			t.Fatalf("a refund under the payment's control: %+v", op)
		}
	}
}

// A refund Dotpay rejects takes the asked amount back.
func TestRefundRejected(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	p := f.paid(t, getpaid.MustParseMoney("20.00", "PLN"))
	f.sim.SetRefundRejected(true)
	// Accepted and rejected later; or, when the rejection's URLC overtakes
	// the answer, answered failed at once.
	if _, err := f.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID}); err != nil && !errors.Is(err, getpaid.ErrOperationFailed) {
		t.Fatal(err)
	}
	f.wait(t, p.ID, "back to paid", func(q *getpaid.Payment) bool {
		return q.Status == getpaid.StatusPaid && q.RefundAsked == 0 && q.Refunded == 0
	})
}

// A refund made in Dotpay's panel arrives by URLC and is recorded.
func TestPanelRefund(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, func(c *dotpay.Config) { c.APIUsername, c.APIPassword = "", "" })
	p := f.paid(t, getpaid.MustParseMoney("20.00", "PLN"))
	if _, err := f.sim.Refund(p.ID, getpaid.MustParseMoney("5.00", "PLN")); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, "partially refunded", func(q *getpaid.Payment) bool { return q.Refunded == 500 })
}

// Without the seller API credentials a refund cannot be asked of Dotpay:
// it is refused as one the backend cannot do (not_supported, saying what
// to do instead), before anything is stored: no operation, no
// refund_started and back in the history (each a webhook to the shop),
// whatever the amount.
func TestRefundWithoutSellerAPIRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		amount *getpaid.Money
	}{
		{"whole", nil},
		{"part", func() *getpaid.Money { m := getpaid.MustParseMoney("5.00", "PLN"); return &m }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFlow(t, dotpaytest.Config{}, func(c *dotpay.Config) { c.APIUsername, c.APIPassword = "", "" })
			p := f.paid(t, getpaid.MustParseMoney("20.00", "PLN"))
			ctx := context.Background()
			_, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: tc.amount, IdempotencyKey: "r1"})
			var ue *getpaid.UnsupportedError
			if !errors.As(err, &ue) || ue.Backend != "dotpay" || !strings.Contains(ue.Instead, "api_username") {
				t.Fatalf("refund: %v; want an *UnsupportedError naming the credentials", err)
			}
			var oe *getpaid.OperationError
			if errors.As(err, &oe) {
				t.Fatalf("refund: %v; want it refused before any operation", err)
			}
			q, err := f.eng.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if q.Status != getpaid.StatusPaid || q.RefundAsked != 0 || q.Version != p.Version {
				t.Fatalf("payment %s, asked %d, version %d (was %d); want it as it was", q.Status, q.RefundAsked, q.Version, p.Version)
			}
			page, err := f.eng.Operations(ctx, getpaid.OperationFilter{PaymentID: p.ID})
			if err != nil || len(page.Operations) != 0 {
				t.Fatalf("operations %+v, %v; want none stored", page, err)
			}
		})
	}
}

// Polling finishes a payment whose URLCs never arrived.
func TestPollWithoutURLC(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{MaxAttempts: 1}, nil)
	p := f.pay(t, getpaid.MustParseMoney("15.00", "PLN"))
	// Before the buyer pays Dotpay knows nothing.
	if q, err := f.eng.Poll(context.Background(), p.ID); err != nil || q.Status != getpaid.StatusPrepared {
		t.Fatalf("poll before paying: %v %v", q, err)
	}
	// The buyer pays, but the URLC goes astray.
	rd := *p.Redirect
	rd.URL = replaceParam(t, &rd, "urlc", "http://127.0.0.1:1/lost")
	if err := f.sim.Pay(context.Background(), &rd, dotpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	q, err := f.eng.Poll(context.Background(), p.ID)
	if err != nil || q.Status != getpaid.StatusPaid || q.Captured != 1500 {
		t.Fatalf("poll after paying: %+v %v", q, err)
	}
}

func TestSellerAPIErrors(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	p := f.paid(t, getpaid.MustParseMoney("10.00", "PLN"))
	ctx := context.Background()
	refund := func(b *dotpay.Broker, minor int64) error {
		_, err := b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(minor), OperationID: "op_1"})
		return err
	}
	var be *getpaid.BrokerError
	if err := refund(f.b, 1001); !errors.As(err, &be) || be.Retryable || be.Status != http.StatusBadRequest {
		t.Fatalf("refund above the payment: %v", err)
	}
	c := f.sim.Config()
	wrong, _ := dotpay.New(dotpay.Config{ShopID: c.ShopID, PIN: c.PIN, APIURL: f.sim.URL(), APIUsername: c.APIUsername, APIPassword: "nope"})
	if err := refund(wrong, 100); !errors.As(err, &be) || be.Retryable || be.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %v", err)
	}
	none, _ := dotpay.New(dotpay.Config{ShopID: c.ShopID, PIN: c.PIN, APIURL: f.sim.URL()})
	if err := refund(none, 100); !errors.Is(err, getpaid.ErrNotSupported) {
		t.Fatalf("no credentials: %v", err)
	}
	if o, err := none.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p}); err != nil || o.Kind != getpaid.KindNone {
		t.Fatalf("poll without credentials: %+v %v", o, err)
	}
	for _, mode := range []string{dotpaytest.Failure5xx, dotpaytest.FailureTimeout} {
		f.sim.SetFailure(mode)
		if err := refund(f.b, 100); !errors.As(err, &be) || !be.Retryable || !be.Happened {
			t.Fatalf("%s refund: %v", mode, err)
		}
		if _, err := f.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p}); !errors.As(err, &be) || !be.Retryable || be.Happened {
			t.Fatalf("%s poll: %v", mode, err)
		}
	}
	f.sim.SetFailure("")
	if err := refund(f.b, 0); !errors.Is(err, getpaid.ErrInvalidAmount) {
		t.Fatalf("refund of nothing: %v", err)
	}
}

// In production the URLC allowlist is on: a URLC straight from an unknown
// address is refused (403, Dotpay retries), one forwarded by a trusted
// proxy for Dotpay's address is applied and acknowledged "OK", and the
// forwarding header of anyone else means nothing.
func TestSourceAllowlistBehindProxy(t *testing.T) {
	t.Parallel()
	f := newFlowBehind(t, dotpaytest.Config{MaxAttempts: 2}, func(c *dotpay.Config) { c.IPAllowlist = nil }, []string{"127.0.0.1/32"})
	p := f.pay(t, getpaid.MustParseMoney("12.00", "PLN"))
	if err := f.sim.Pay(context.Background(), p.Redirect, dotpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	if err := f.sim.Quiet(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, d := range f.sim.Notifications() {
		if d.Code != http.StatusForbidden {
			t.Fatalf("URLC from 127.0.0.1 answered %d %q", d.Code, d.Body)
		}
	}
	req, _ := f.sim.Notification(p.ID, "completed", p.Amount)
	post := func(forwardedFor string) (int, string) {
		r, _ := http.NewRequest(http.MethodPost, f.url+"/callback/dotpay", strings.NewReader(string(req.Body)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if forwardedFor != "" {
			r.Header.Set("X-Forwarded-For", forwardedFor)
		}
		resp, err := brokerhttp.Client(nil, 0, 0).Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := post("203.0.113.5"); code != http.StatusForbidden {
		t.Fatalf("forwarded for a stranger: %d", code)
	}
	if code, _ := post("195.150.9.37, 203.0.113.5"); code != http.StatusForbidden {
		t.Fatalf("a stranger claiming to forward for Dotpay: %d", code)
	}
	if q, _ := f.eng.Payment(context.Background(), p.ID); q.Status != getpaid.StatusPrepared {
		t.Fatalf("status %s before an allowed URLC", q.Status)
	}
	if code, body := post("195.150.9.37"); code != http.StatusOK || body != "OK" {
		t.Fatalf("forwarded for Dotpay: %d %q", code, body)
	}
	f.wait(t, p.ID, "paid", status(getpaid.StatusPaid))
}

// A refund URLC without control (made in the panel for a payment of another
// integration, say) still finds the payment by operation_related_number.
func TestRefundURLCFoundByRelatedNumber(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	p := f.paid(t, getpaid.MustParseMoney("20.00", "PLN"))
	req, err := f.sim.RefundNotification(p.ID, getpaid.MustParseMoney("2.50", "PLN"))
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := url.ParseQuery(string(req.Body))
	fields := map[string]string{}
	for k := range vals {
		fields[k] = vals.Get(k)
	}
	delete(fields, "control")
	delete(fields, "signature")
	req.Body = signed(f.sim.Config().PIN, fields)
	res, err := f.eng.HandleCallback(context.Background(), "dotpay", req)
	if err != nil || res.Outcome != getpaid.OutcomeApplied || res.Payment.Refunded != 250 {
		t.Fatalf("%+v %v", res, err)
	}
}

// A complaint (a chargeback) that ends completed takes the money back from
// the shop: recorded as a refund nobody asked for, once however often its
// URLC comes; a new, processing or rejected one changes nothing.
func TestComplaint(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	p := f.paid(t, getpaid.MustParseMoney("20.00", "PLN"))
	rejected, err := f.sim.Complaint(p.ID, getpaid.MustParseMoney("20.00", "PLN"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"processing", "rejected"} {
		req, err := f.sim.SetComplaintStatus(rejected, st)
		if err != nil {
			t.Fatal(err)
		}
		// The simulator also sends this URLC to getpaid itself: whichever
		// comes second is a duplicate.
		res, err := f.eng.HandleCallback(context.Background(), "dotpay", req)
		if err != nil || (res.Outcome != getpaid.OutcomeDuplicate && res.Payment == nil) {
			t.Fatalf("complaint %s: %+v %v", st, res, err)
		}
		q, err := f.eng.Payment(context.Background(), p.ID)
		if err != nil || q.Status != getpaid.StatusPaid || q.Refunded != 0 {
			t.Fatalf("complaint %s: %+v %v", st, q, err)
		}
	}
	won, err := f.sim.Complaint(p.ID, getpaid.MustParseMoney("5.00", "PLN"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := f.sim.SetComplaintStatus(won, "completed")
	if err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, "partially refunded by the complaint", func(q *getpaid.Payment) bool {
		return q.Status == getpaid.StatusPartiallyRefunded && q.Refunded == 500
	})
	for range 3 {
		res, err := f.eng.HandleCallback(context.Background(), "dotpay", req)
		if err != nil || res.Outcome != getpaid.OutcomeDuplicate {
			t.Fatalf("repeated complaint URLC: %+v %v", res, err)
		}
	}
	q, err := f.eng.Payment(context.Background(), p.ID)
	if err != nil || q.Refunded != 500 || q.RefundAsked != 0 {
		t.Fatalf("after repeats: %+v %v", q, err)
	}
}

// refundUnderWay pays 20.00 PLN and asks a refund of 5.00 of it that
// Dotpay keeps under way (for an hour).
func refundUnderWay(t *testing.T) (*flow, *getpaid.Payment, *getpaid.ActionResult) {
	t.Helper()
	f := newFlow(t, dotpaytest.Config{RefundDelay: time.Hour}, nil)
	p := f.paid(t, getpaid.MustParseMoney("20.00", "PLN"))
	five := getpaid.MustParseMoney("5.00", "PLN")
	res, err := f.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: &five, IdempotencyKey: "r1"})
	if err != nil || res.Operation == nil || res.Operation.State.Final() {
		t.Fatalf("refund: %+v %v; want it under way", res, err)
	}
	return f, p, res
}

// A URLC of a refund getpaid asked for (control = getpaid's operation id)
// that names no payment (no operation_related_number) finds the payment
// through the operation, and finishes it, once.
func TestRefundURLCFoundByOperation(t *testing.T) {
	t.Parallel()
	f, p, res := refundUnderWay(t)
	ops := f.sim.Operations(res.Operation.ID)
	if len(ops) != 1 {
		t.Fatalf("simulator's operations under %s: %+v", res.Operation.ID, ops)
	}
	c := f.sim.Config()
	body := signed(c.PIN, map[string]string{
		"id": c.ShopID, "operation_number": ops[0].Number, "operation_type": "refund", "operation_status": "completed",
		"operation_amount": "5.00", "operation_currency": "PLN", "operation_original_amount": "5.00",
		"operation_original_currency": "PLN", "operation_datetime": "2026-01-02 10:00:00", "control": res.Operation.ID,
		"description": "Refund",
	})
	for i, want := range []getpaid.Outcome{getpaid.OutcomeApplied, getpaid.OutcomeDuplicate} {
		got, err := f.eng.HandleCallback(context.Background(), "dotpay", urlcRequest(body))
		if err != nil || got.Outcome != want {
			t.Fatalf("delivery %d: %+v %v; want %s", i+1, got, err, want)
		}
	}
	q, err := f.eng.Payment(context.Background(), p.ID)
	if err != nil || q.Refunded != 500 || q.RefundAsked != 0 {
		t.Fatalf("payment: %+v %v; want 5.00 refunded, nothing asked", q, err)
	}
	if op, err := f.eng.Operation(context.Background(), res.Operation.ID); err != nil || op.State != getpaid.OpSucceeded {
		t.Fatalf("operation: %+v %v; want succeeded", op, err)
	}
}

// A signed URLC with an operation status getpaid does not know is
// acknowledged with OK (refused, Dotpay would send it again and again, each
// time counted against its address) and changes nothing; the engine logs it
// at error level with the payment.
func TestUnknownStatusAcknowledged(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	p := f.paid(t, getpaid.MustParseMoney("20.00", "PLN"))
	req, err := f.sim.Notification(p.ID, "disputed", getpaid.MustParseMoney("20.00", "PLN"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		code, body := postURLC(t, f.url+"/callback/dotpay", req)
		if code != http.StatusOK || body != "OK" {
			t.Fatalf("URLC with an unknown status answered %d %q, want 200 OK", code, body)
		}
	}
	q, err := f.eng.Payment(context.Background(), p.ID)
	if err != nil || q.Status != getpaid.StatusPaid || q.Version != p.Version {
		t.Fatalf("payment changed: %+v %v", q, err)
	}
}

// postURLC POSTs req's body to url as Dotpay does and returns the answer.
func postURLC(t *testing.T, url string, req *getpaid.CallbackRequest) (int, string) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(req.Body)))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := brokerhttp.Client(nil, 0, 0).Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A payment form without api_version is, for dotpay.Chk as for the
// simulator, the legacy "dev" form (what Dotpay's manual shows as the basic
// link, and the PHP SDK's default api version): a chk from dotpay.Chk is
// the chk the simulator checks.
func TestChkWithoutAPIVersionAgrees(t *testing.T) {
	t.Parallel()
	f := newFlow(t, dotpaytest.Config{}, nil)
	p := f.pay(t, getpaid.MustParseMoney("12.00", "PLN"))
	rd := *p.Redirect
	u, err := url.Parse(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("api_version")
	q.Del("chk")
	params := map[string]string{}
	for k := range q {
		params[k] = q.Get(k)
	}
	q.Set("chk", dotpay.Chk(f.sim.Config().PIN, params))
	u.RawQuery = q.Encode()
	rd.URL = u.String()
	if err := f.sim.Pay(context.Background(), &rd, dotpaytest.OutcomePaid); err != nil {
		t.Fatalf("the simulator refused a form dotpay.Chk signed without api_version: %v", err)
	}
	f.wait(t, p.ID, "paid", status(getpaid.StatusPaid))
}

// A refund made in Dotpay's panel that Dotpay rejects, while a refund
// getpaid asked for is under way, changes nothing: getpaid's refund keeps
// its reservation (the payment stays refund_started, no second refund can
// ask for the same money) until its own URLC or lookup ends it.
func TestPanelRefundRejectedBesideOurs(t *testing.T) {
	t.Parallel()
	f, p, res := refundUnderWay(t)
	f.sim.SetRefundRejected(true)
	req, err := f.sim.RefundNotification(p.ID, getpaid.MustParseMoney("3.00", "PLN"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.eng.HandleCallback(context.Background(), "dotpay", req)
	if err != nil || got.Outcome == getpaid.OutcomeApplied {
		t.Fatalf("the rejected panel refund's URLC: %+v %v; want it acknowledged, nothing applied", got, err)
	}
	q, err := f.eng.Payment(context.Background(), p.ID)
	if err != nil || q.Status != getpaid.StatusRefundStarted || q.RefundAsked != 500 || q.Refunded != 0 {
		t.Fatalf("payment: %+v %v; want refund_started with 5.00 asked", q, err)
	}
	if op, err := f.eng.Operation(context.Background(), res.Operation.ID); err != nil || op.State.Final() {
		t.Fatalf("getpaid's refund: %+v %v; want it still under way", op, err)
	}
}

// A buyer who paid twice: the second transaction is not counted (getpaid
// logs it, to be refunded at Dotpay). Refunding it in Dotpay's panel, or a
// chargeback of it, is money of that transaction going back, not of the
// one that paid the payment: the URLC is acknowledged "OK" and the payment
// stays paid, refundable in full, never refunded by it.
func TestSecondTransactionRefundNotCounted(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		back func(f *flow, control string, amount getpaid.Money) error
	}{
		{"panel refund", func(f *flow, control string, amount getpaid.Money) error {
			_, err := f.sim.Refund(control, amount)
			return err
		}},
		{"complaint", func(f *flow, control string, amount getpaid.Money) error {
			number, err := f.sim.Complaint(control, amount)
			if err == nil {
				_, err = f.sim.SetComplaintStatus(number, "completed")
			}
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFlow(t, dotpaytest.Config{}, nil)
			amount := getpaid.MustParseMoney("100.00", "PLN")
			p := f.paid(t, amount)
			if err := f.sim.Pay(context.Background(), p.Redirect, dotpaytest.OutcomePaid); err != nil {
				t.Fatal(err)
			}
			// The second payment's URLC is delivered before it can be
			// refunded, as at Dotpay (the simulator sends URLCs of
			// different operations at once, in no set order).
			if err := f.sim.Quiet(context.Background()); err != nil {
				t.Fatal(err)
			}
			// The simulator refunds the newest payment of the control: the second.
			if err := tt.back(f, p.ID, amount); err != nil {
				t.Fatal(err)
			}
			if err := f.sim.Quiet(context.Background()); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, d := range f.sim.Notifications() {
				n++
				if d.Code != http.StatusOK || d.Body != "OK" {
					t.Fatalf("URLC %s %s %s answered %d %q", d.Number, d.Type, d.Status, d.Code, d.Body)
				}
			}
			if n < 3 {
				t.Fatalf("%d URLCs delivered", n)
			}
			q, err := f.eng.Payment(context.Background(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if q.Status != getpaid.StatusPaid || q.Refunded != 0 || q.Captured != 10000 || q.ExternalID != p.ExternalID {
				t.Fatalf("after the second transaction went back: %s, captured %d, refunded %d, transaction %s (paid by %s)",
					q.Status, q.Captured, q.Refunded, q.ExternalID, p.ExternalID)
			}
		})
	}
}
