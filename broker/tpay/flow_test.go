package tpay_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/broker/tpay/tpaytest"
	"github.com/getpaid-go/getpaid/brokertest"
)

// Refunds through getpaid: a partial one, a second of the same amount, the
// rest; each is done at once (Tpay takes the money from the balance) and the
// CHARGEBACK notifications that follow are duplicates, so every refund
// counts once.
func TestRefundsPartialEqualAndRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, rec := recordedSim(t, tpaytest.Config{})
	b := newBroker(t, sim, nil)
	f := newFlow(t, b)
	p := f.pay(t, "refunds", getpaid.MustParseMoney("100.00", "PLN"))
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	ten := getpaid.MustParseMoney("10.00", "PLN")
	for i, want := range []int64{1000, 2000} {
		res, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &ten})
		if err != nil {
			t.Fatalf("refund %d: %v", i, err)
		}
		if res.Payment.Refunded != want || res.Payment.Status != getpaid.StatusPartiallyRefunded {
			t.Fatalf("refund %d: %s refunded %d, want partially_refunded %d", i, res.Payment.Status, res.Payment.Refunded, want)
		}
	}
	res, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID})
	if err != nil || res.Payment.Status != getpaid.StatusRefunded || res.Payment.Refunded != 10000 {
		t.Fatalf("refund of the rest: %+v, %v", res, err)
	}
	quiet(t, sim)
	got, _ := f.store.Payment(ctx, p.ID)
	if got.Status != getpaid.StatusRefunded || got.Refunded != 10000 || got.RefundAsked != 0 {
		t.Fatalf("after the CHARGEBACK notifications: %s refunded %d asked %d", got.Status, got.Refunded, got.RefundAsked)
	}
	bodies := rec.requests(http.MethodPost, "/transactions/"+p.ExternalID+"/refunds")
	if len(bodies) != 3 || string(bodies[0].Body) != `{"amount":10.00}` || string(bodies[2].Body) != `{"amount":80.00}` {
		t.Fatalf("refund requests: %d, first %s, last %s", len(bodies), bodies[0].Body, bodies[len(bodies)-1].Body)
	}
	for _, d := range sim.Notifications() {
		if !d.Acked() {
			t.Fatalf("notification not acknowledged with TRUE: %+v", d)
		}
	}
}

// Refunding everything at once sends an empty body: Tpay refunds the whole
// payment and marks the transaction refunded.
func TestRefundWholePayment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, rec := recordedSim(t, tpaytest.Config{})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, "full", getpaid.MustParseMoney("12.34", "PLN"))
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	res, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID})
	if err != nil || res.Payment.Status != getpaid.StatusRefunded {
		t.Fatalf("%+v, %v", res, err)
	}
	if reqs := rec.requests(http.MethodPost, "/transactions/"+p.ExternalID+"/refunds"); len(reqs) != 1 || string(reqs[0].Body) != "{}" {
		t.Fatalf("refund request %+v", reqs)
	}
	if _, _, status, _ := sim.Transaction(p.ID); status != tpay.StatusRefund {
		t.Fatalf("transaction %s after a full refund", status)
	}
}

// A refund Tpay refuses changes nothing and is not retried blindly; a refund
// the broker never received (Tpay down) is taken back.
func TestRefundRefusedOrBrokerDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, _ := recordedSim(t, tpaytest.Config{})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, "refused", getpaid.MustParseMoney("5.00", "PLN"))
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	// Refunded in the panel meanwhile: Tpay refuses getpaid's refund.
	if err := sim.Chargeback(p.ID, getpaid.MustParseMoney("5.00", "PLN")); err != nil {
		t.Fatal(err)
	}
	quiet(t, sim)
	sim.SetFailure(tpaytest.Failure5xx)
	one := getpaid.MustParseMoney("1.00", "PLN")
	if _, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &one}); err == nil {
		t.Fatal("refund accepted by a broker that is down")
	}
	got, _ := f.store.Payment(ctx, p.ID)
	if got.Status != getpaid.StatusRefunded || got.RefundAsked != 0 {
		t.Fatalf("%s asked %d", got.Status, got.RefundAsked)
	}
}

// Status queries map Tpay's transaction status.
func TestFetchStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, _ := recordedSim(t, tpaytest.Config{})
	b := newBroker(t, sim, nil)
	tests := []struct {
		outcome string
		kind    getpaid.Kind
		minor   int64
		full    bool
	}{
		{"", getpaid.KindNone, 0, false},
		{tpaytest.OutcomeDeclined, getpaid.KindNone, 0, false},
		{tpaytest.OutcomePaid, getpaid.KindCaptured, 2000, true},
		{tpaytest.OutcomePartial, getpaid.KindCaptured, 1000, false},
		{tpaytest.OutcomeUnderpaid, getpaid.KindAdvance, 1000, false},
	}
	for _, tt := range tests {
		p := prepared(t, b, getpaid.MustParseMoney("20.00", "PLN"))
		if tt.outcome != "" {
			if err := sim.Pay(ctx, p.Redirect, tt.outcome); err != nil {
				t.Fatal(err)
			}
		}
		o, err := b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
		if err != nil {
			t.Fatal(err)
		}
		if o.Kind != tt.kind || o.Amount.Minor != tt.minor || o.Full != tt.full {
			t.Errorf("%q: %+v", tt.outcome, o)
		}
	}
	// Cancelled: released.
	p := prepared(t, b, getpaid.MustParseMoney("20.00", "PLN"))
	if _, err := b.Cancel(ctx, &getpaid.CancelRequest{Payment: p}); err != nil {
		t.Fatal(err)
	}
	if o, err := b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p}); err != nil || o.Kind != getpaid.KindReleased {
		t.Fatalf("canceled: %+v, %v", o, err)
	}
}

// A payment whose notifications are all lost is finished by polling, with
// the event id the notification would have had.
func TestPollFinishesPaymentWithoutNotification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, _ := recordedSim(t, tpaytest.Config{NotifyAttempts: 1})
	// The callback URL leads nowhere: every notification is lost.
	eng := brokertest.NewEngine(t, "http://127.0.0.1:1/lost", getpaid.Backend{Name: "tpay", Broker: newBroker(t, sim, nil)})
	p, err := eng.Pay(ctx, getpaid.PayRequest{OrderID: "o", Backend: "tpay", Amount: getpaid.MustParseMoney("7.50", "PLN"),
		Buyer: getpaid.Buyer{Email: "jan@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if q, err := eng.Poll(ctx, p.ID); err != nil || q.Status != getpaid.StatusPrepared {
		t.Fatalf("pending poll: %v, %v", q, err)
	}
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	quiet(t, sim)
	q, err := eng.Poll(ctx, p.ID)
	if err != nil || q.Status != getpaid.StatusPaid || q.Captured != 750 {
		t.Fatalf("poll after payment: %+v, %v", q, err)
	}
	if d := sim.Notifications(); len(d) != 1 || d[0].Acked() {
		t.Fatalf("deliveries %+v, want one lost attempt", d)
	}
}

// Cancel releases a pending transaction; Tpay refuses to cancel a paid one,
// and that is final (not retryable).
func TestCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, _ := recordedSim(t, tpaytest.Config{})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, "cancel", getpaid.MustParseMoney("3.00", "PLN"))
	res, err := f.eng.Cancel(ctx, getpaid.ActionRequest{PaymentID: p.ID})
	if err != nil || res.Payment.Status != getpaid.StatusCancelled {
		t.Fatalf("%+v, %v", res, err)
	}
	// Tpay calls a cancelled transaction's status "cancel"
	// (docs-api.tpay.com/en/transaction-cancellation).
	if _, _, status, _ := sim.Transaction(p.ID); status != "cancel" {
		t.Fatalf("simulator says %s", status)
	}
	q := f.pay(t, "cancel-paid", getpaid.MustParseMoney("3.00", "PLN"))
	if err := sim.Pay(ctx, q.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	b := newBroker(t, sim, nil)
	_, err = b.Cancel(ctx, &getpaid.CancelRequest{Payment: q})
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || be.Retryable || be.Status != http.StatusBadRequest {
		t.Fatalf("cancel of a paid transaction: %v", err)
	}
}

// paidAtTpay is a payment of 50.00 paid at a new simulator, as getpaid has
// recorded it, and the broker and simulator behind it.
func paidAtTpay(t *testing.T) (*tpaytest.Server, *tpay.Broker, *getpaid.Payment) {
	t.Helper()
	sim, _ := recordedSim(t, tpaytest.Config{})
	b := newBroker(t, sim, nil)
	p := prepared(t, b, getpaid.MustParseMoney("50.00", "PLN"))
	if err := sim.Pay(context.Background(), p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	p.Status, p.Captured = getpaid.StatusPaid, 5000
	return sim, b, p
}

// A refund Tpay answers in a status getpaid does not know may be under way:
// the refund is in doubt (Happened), never failed, and a lookup does not
// guess either. A refund answered with a failure word did nothing.
func TestRefundInAStatusNotKnown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, b, p := paidAtTpay(t)
	five := getpaid.MustParseMoney("5.00", "PLN")
	for _, tc := range []struct {
		status   string
		happened bool
	}{{"queued", true}, {"rejected", false}} {
		sim.SetRefundStatus(tc.status)
		p.RefundAsked = 500
		o, err := b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: five, OperationID: "op_" + tc.status})
		var be *getpaid.BrokerError
		if !errors.As(err, &be) || be.Happened != tc.happened {
			t.Fatalf("refund answered %q: %+v, %v; want a broker error with Happened %v", tc.status, o, err, tc.happened)
		}
	}
	// The lookup of the refund whose answer said "queued" (its id unknown
	// to getpaid: matched by amount) finds it and does not guess.
	p.RefundAsked = 500
	op := &getpaid.Operation{ID: "op_queued", Kind: getpaid.OpRefund, Amount: five}
	if o, err := b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op}); err == nil || errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("lookup of a refund in an unknown status: %+v, %v; want an error that is not ErrNotFound", o, err)
	}
}

// FetchOperation finds a refund by the refund id Tpay answered, with the
// event id Refund used; what Tpay does not list never happened.
func TestFetchOperation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, b, p := paidAtTpay(t)
	five := getpaid.MustParseMoney("5.00", "PLN")
	op := &getpaid.Operation{ID: "op_1", Kind: getpaid.OpRefund, Amount: five}
	if _, err := b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op}); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("no refund yet: %v", err)
	}
	var firstEvent string
	for i := range 2 {
		p.RefundAsked = 500
		o, err := b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: five, OperationID: "op_x"})
		if err != nil || o.Kind != getpaid.KindRefunded || o.BrokerRef == "" {
			t.Fatalf("refund %d: %+v, %v", i, o, err)
		}
		p.Refunded, p.RefundAsked = p.Refunded+500, 0
		op := &getpaid.Operation{ID: "op_x", Kind: getpaid.OpRefund, Amount: five, BrokerRef: o.BrokerRef}
		found, err := b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op})
		if err != nil || found.Kind != getpaid.KindRefunded || found.EventID != o.EventID || found.Amount != five {
			t.Fatalf("lookup of refund %d: %+v, %v; refund said %s", i, found, err, o.EventID)
		}
		if i == 0 {
			firstEvent = o.EventID
		} else if o.EventID == firstEvent {
			t.Fatalf("two refunds of one amount share the event id %s", o.EventID)
		}
	}
	// Without a refund id, refunds of the amount cannot be told apart.
	if _, err := b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op}); err == nil || errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("ambiguous lookup: %v", err)
	}
	op.BrokerRef = "rf_unknown"
	if _, err := b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op}); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("unknown refund id: %v", err)
	}
	cancel := &getpaid.Operation{ID: "op_c", Kind: getpaid.OpCancel}
	if _, err := b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: cancel}); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("cancel of a paid transaction: %v", err)
	}
}

// A verified JSON notification of another kind (tokenization, BLIK alias
// events) names no payment: acknowledged, nothing changes.
func TestJSONNotificationIgnored(t *testing.T) {
	t.Parallel()
	sim, _ := recordedSim(t, tpaytest.Config{})
	own, _ := pkis(t)
	b := newBroker(t, sim, nil)
	body, _ := json.Marshal(map[string]any{"type": "tokenization", "data": map[string]string{"tokenizationId": "TO-1"}})
	jws, err := tpaytest.SignJWS(own.Key, sim.URL()+tpaytest.CertPath, body)
	if err != nil {
		t.Fatal(err)
	}
	req := &getpaid.CallbackRequest{Header: http.Header{}, Body: body}
	req.Header.Set(tpay.SignatureHeader, jws)
	o, err := b.ParseCallback(context.Background(), req)
	if err != nil || o.Kind != getpaid.KindNone || o.PaymentID != "" {
		t.Fatalf("%+v, %v", o, err)
	}
	f := newFlow(t, b)
	res, err := f.eng.HandleCallback(context.Background(), "tpay", req)
	if err != nil || res.Outcome != getpaid.OutcomeUnknown || string(res.AckBody) != "TRUE" {
		t.Fatalf("%+v, %v", res, err)
	}
	// Unsigned, it is refused like any other.
	req.Header = http.Header{}
	if _, err := b.ParseCallback(context.Background(), req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("unsigned JSON notification: %v", err)
	}
}

// Notifications replayed later (a captured paid notification after the
// payment was refunded, a refund notification again) change nothing.
func TestReplayedNotifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, _ := recordedSim(t, tpaytest.Config{})
	f := newFlow(t, newBroker(t, sim, nil))
	p := f.pay(t, "replay", getpaid.MustParseMoney("40.00", "PLN"))
	if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	f.wait(t, p.ID, getpaid.StatusPaid)
	paidNote, err := sim.Notification(p.ID, "TRUE", p.Amount)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID}); err != nil {
		t.Fatal(err)
	}
	refundNote, err := sim.Notification(p.ID, "CHARGEBACK", p.Amount)
	if err != nil {
		t.Fatal(err)
	}
	quiet(t, sim)
	before, _ := f.store.History(ctx, p.ID)
	for i, req := range []*getpaid.CallbackRequest{paidNote, refundNote, paidNote, refundNote} {
		res, err := f.eng.HandleCallback(ctx, "tpay", req)
		if err != nil || res.Outcome == getpaid.OutcomeApplied {
			t.Fatalf("replay %d: %+v, %v", i, res, err)
		}
	}
	got, _ := f.store.Payment(ctx, p.ID)
	after, _ := f.store.History(ctx, p.ID)
	if got.Status != getpaid.StatusRefunded || got.Refunded != 4000 || got.Captured != 4000 || len(after) != len(before) {
		t.Fatalf("after replays: %s captured %d refunded %d, history %d -> %d", got.Status, got.Captured, got.Refunded, len(before), len(after))
	}
}

// A money operation whose answer is lost (a timeout, a 5xx) may have
// happened; a refusal (4xx, 429 included) did not.
func TestOperationErrorClassification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name                string
		fault               string // a simulator operation fault, or
		code                int    // the status the refund endpoint answers
		retryable, happened bool
	}{
		{"refused", "", http.StatusBadRequest, false, false},
		{"throttled", "", http.StatusTooManyRequests, true, false},
		{"server error", tpaytest.Fault5xx, 0, true, true},
		{"no answer, nothing done", tpaytest.FaultTimeoutBefore, 0, true, true},
		{"no answer, refund done", tpaytest.FaultTimeoutAfter, 0, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim, _ := recordedSim(t, tpaytest.Config{HangTimeout: 3 * time.Second})
			var edit func(*tpay.Config)
			if tt.code != 0 {
				// Tpay's API answering refunds with tt.code.
				front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/refunds") {
						w.WriteHeader(tt.code)
						_, _ = w.Write([]byte(`{"result":"failed","errors":[{"errorCode":"x","errorMessage":"no"}]}`))
						return
					}
					sim.Handler().ServeHTTP(w, r)
				}))
				t.Cleanup(front.Close)
				edit = func(c *tpay.Config) { c.APIURL = front.URL }
			}
			b := newBroker(t, sim, edit)
			p := prepared(t, b, getpaid.MustParseMoney("20.00", "PLN"))
			if err := sim.Pay(ctx, p.Redirect, tpaytest.OutcomePaid); err != nil {
				t.Fatal(err)
			}
			p.Status, p.Captured = getpaid.StatusPaid, 2000
			sim.SetOperationFault(tt.fault)
			_, err := b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(500), OperationID: "op_1"})
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || be.Retryable != tt.retryable || be.Happened != tt.happened {
				t.Fatalf("refund: err = %#v, want retryable %v happened %v", err, tt.retryable, tt.happened)
			}
			if tt.fault == "" {
				return
			}
			_, err = b.Cancel(ctx, &getpaid.CancelRequest{Payment: p, OperationID: "op_2"})
			if !errors.As(err, &be) || !be.Retryable || !be.Happened {
				t.Fatalf("cancel: err = %#v, want a doubt", err)
			}
		})
	}
}
