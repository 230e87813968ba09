package przelewy24_test

// Outside-in checks against the fake of outsidefake_test.go: advances
// (another amount paid), a verify whose answer is lost, late replays, and
// the hosts.

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24"
)

func TestOutsideAdvanceAcceptedAndRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, accept := range []bool{true, false} {
		o := newXOutside(t, nil)
		p, err := o.create(t, "100.00", "PLN", "x")
		if err != nil {
			t.Fatal(err)
		}
		tr := o.fake.trn(t, p.ID)
		if got := o.fake.post(t, tr.Notify, o.fake.pay(t, p.ID, 4000)); got != 200 {
			t.Errorf("advance notification answered %d", got)
		}
		got := o.payment(t, p.ID)
		if got.Advance != 4000 || got.Captured != 0 || got.Status == getpaid.StatusPaid {
			t.Fatalf("after an advance: %s advance %d captured %d", got.Status, got.Advance, got.Captured)
		}
		if n := o.fake.count("PUT /api/v1/transaction/verify"); n != 0 {
			t.Fatalf("an advance was verified without an operator (%d)", n)
		}
		if accept {
			res, err := o.eng.AcceptAdvance(ctx, getpaid.ActionRequest{PaymentID: p.ID})
			if err != nil {
				t.Fatalf("accept: %v", err)
			}
			if res.Payment.Status != getpaid.StatusPartiallyPaid || res.Payment.Captured != 4000 {
				t.Errorf("after accepting: %s captured %d", res.Payment.Status, res.Payment.Captured)
			}
			if o.fake.trn(t, p.ID).Status != 2 {
				t.Errorf("accepting did not verify at Przelewy24")
			}
			continue
		}
		res, err := o.eng.RejectAdvance(ctx, getpaid.ActionRequest{PaymentID: p.ID})
		if err != nil {
			t.Fatalf("reject: %v", err)
		}
		if res.Payment.Status != getpaid.StatusFailed || o.fake.count("PUT /api/v1/transaction/verify") != 0 {
			t.Errorf("after rejecting: %s, verify calls %d", res.Payment.Status, o.fake.count("PUT /api/v1/transaction/verify"))
		}
	}
}

// verifyLost makes the fake verify the transaction and then drop the
// connection: Przelewy24 verified, getpaid never heard.
func TestOutsideVerifyAnswerLostThenPoll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newXOutside(t, nil)
	p := o.registered(t)
	tr := o.fake.trn(t, p.ID)
	body := o.fake.pay(t, p.ID, 0)
	o.fake.mu.Lock()
	tr.Status = 2 // verified at Przelewy24, the answer about to be lost
	o.fake.mu.Unlock()
	o.fake.set(func(f *xP24) { f.verifyDown = true })
	if got := o.fake.post(t, tr.Notify, body); got == 200 {
		t.Errorf("notification whose verify answer was lost answered 200")
	}
	if got := o.payment(t, p.ID); got.Captured != 0 {
		t.Fatalf("captured %d on a lost verify answer", got.Captured)
	}
	// Przelewy24 sends nothing more once verified: polling finishes it.
	got, err := o.eng.Poll(ctx, p.ID)
	if err != nil || got.Status != getpaid.StatusPaid || got.Captured != 1000 {
		t.Fatalf("poll of a verified transaction: %+v %v", got, err)
	}
}

func TestOutsideReplayAfterRefund(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p := o.registered(t)
	tr := o.fake.trn(t, p.ID)
	body := o.fake.pay(t, p.ID, 0)
	if got := o.fake.post(t, tr.Notify, body); got != 200 {
		t.Fatalf("notification answered %d", got)
	}
	if _, err := o.refund(t, p.ID, "", "r1"); err != nil {
		t.Fatal(err)
	}
	o.fake.mu.Lock()
	rid, _ := o.fake.refunds[0]["requestId"].(string)
	o.fake.mu.Unlock()
	rb, url := o.fake.finishRefund(t, p.ID, rid, 0)
	if got := o.fake.post(t, url, rb); got != 200 {
		t.Fatalf("refund notification answered %d", got)
	}
	if got := o.fake.post(t, tr.Notify, body); got != 200 {
		t.Errorf("late replay of the payment notification answered %d", got)
	}
	if got := o.payment(t, p.ID); got.Status != getpaid.StatusRefunded || got.Captured != 1000 || got.Refunded != 1000 {
		t.Errorf("after the replay: %s captured %d refunded %d", got.Status, got.Captured, got.Refunded)
	}
}

type hostLog struct {
	mu   sync.Mutex
	urls []string
}

func (h *hostLog) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.urls = append(h.urls, r.Method+" "+r.URL.String())
	h.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"data":{"token":"T0K3N-1"},"responseCode":0}`)), Request: r}, nil
}

func TestOutsideHosts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sandbox bool
		apiURL  string
		host    string
	}{
		{false, "", "https://secure.przelewy24.pl"},
		{true, "", "https://sandbox.przelewy24.pl"},
		{true, "https://p24.example.test/api/v1/", "https://p24.example.test"},
	} {
		log := &hostLog{}
		o := newXOutside(t, func(c *przelewy24.Config) {
			c.Sandbox, c.APIURL, c.HTTPClient = tc.sandbox, tc.apiURL, &http.Client{Transport: log}
		})
		p, err := o.create(t, "10.00", "PLN", "x")
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if len(log.urls) != 1 || log.urls[0] != "POST "+tc.host+"/api/v1/transaction/register" {
			t.Errorf("sandbox=%v api_url=%q called %v", tc.sandbox, tc.apiURL, log.urls)
		}
		if p.Redirect == nil || p.Redirect.URL != tc.host+"/trnRequest/T0K3N-1" {
			t.Errorf("sandbox=%v api_url=%q redirect %+v", tc.sandbox, tc.apiURL, p.Redirect)
		}
	}
}

func TestOutsideRefundNotificationWithoutRequestID(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p, _ := o.paid(t, "100.00")
	if _, err := o.refund(t, p.ID, "30.00", "r1"); err != nil {
		t.Fatal(err)
	}
	o.fake.mu.Lock()
	rid, _ := o.fake.refunds[0]["requestId"].(string)
	o.fake.mu.Unlock()
	body, url := o.fake.finishRefund(t, p.ID, rid, 0)
	body = []byte(strings.Replace(string(body), `"requestId":"`+rid+`",`, "", 1))
	if got := o.fake.post(t, url, body); got != 200 {
		t.Errorf("refund notification without requestId answered %d", got)
	}
	got := o.payment(t, p.ID)
	if got.Refunded != 3000 || got.RefundAsked != 0 || got.Status != getpaid.StatusPartiallyRefunded {
		t.Errorf("after the notification: %s refunded %d asked %d", got.Status, got.Refunded, got.RefundAsked)
	}
	ops, err := o.eng.Operations(context.Background(), getpaid.OperationFilter{PaymentID: p.ID})
	if err != nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpSucceeded {
		t.Errorf("the refund operation after its notification: %+v %v", ops, err)
	}
}

func TestOutsideRefundFromThePanel(t *testing.T) {
	t.Parallel()
	o := newXOutside(t, nil)
	p, _ := o.paid(t, "100.00")
	o.fake.mu.Lock()
	tr := o.fake.trns[p.ID]
	tr.Refunds = append(tr.Refunds, xRefund{RequestID: "panel-1", Uuid: "panel-uuid-1", URL: tr.Notify, Amount: 2000, Status: 2})
	o.fake.mu.Unlock()
	body, url := o.fake.finishRefund(t, p.ID, "panel-1", 0)
	if got := o.fake.post(t, url, body); got != 200 {
		t.Errorf("panel refund notification answered %d", got)
	}
	if got := o.fake.post(t, url, body); got != 200 {
		t.Errorf("replayed panel refund notification answered %d", got)
	}
	got := o.payment(t, p.ID)
	if got.Refunded != 2000 || got.Status != getpaid.StatusPartiallyRefunded {
		t.Errorf("after a panel refund: %s refunded %d", got.Status, got.Refunded)
	}
}

// A reject of an advance asks Przelewy24 first whether an acceptance whose
// answer was lost verified it. A 404 of that lookup that is not
// Przelewy24's (a proxy's or gateway's "Not Found" page, an empty body,
// another service's JSON) says nothing of the transaction: the reject is
// refused (try again) and the payment keeps its advance. Before, any 404
// was read as "no such transaction": the payment failed although
// Przelewy24 had taken the money. Przelewy24's own 404 ({"error":…}) still
// lets the reject through.
func TestRejectAdvanceLookup404NotPrzelewy24s(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name, body string
		rejected   bool
	}{
		{"html page", "<html><body><h1>404 Not Found</h1>nginx</body></html>", false},
		{"empty", "", false},
		{"another service's json", `{"message":"no route"}`, false},
		{"Przelewy24's", `{"error":"Transaction not found","code":404}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var front atomic.Bool
			var o *xOutside
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if front.Load() && strings.HasPrefix(r.URL.Path, "/api/v1/transaction/by/sessionId/") {
					w.WriteHeader(http.StatusNotFound)
					_, _ = io.WriteString(w, tc.body)
					return
				}
				o.fake.serve(w, r)
			}))
			t.Cleanup(proxy.Close)
			o = newXOutside(t, func(c *przelewy24.Config) { c.APIURL = proxy.URL })
			p, err := o.create(t, "100.00", "PLN", "x")
			if err != nil {
				t.Fatal(err)
			}
			tr := o.fake.trn(t, p.ID)
			if got := o.fake.post(t, tr.Notify, o.fake.pay(t, p.ID, 4000)); got != 200 {
				t.Fatalf("advance notification answered %d", got)
			}
			o.fake.set(func(*xP24) { tr.Status = 2 }) // an acceptance verified it; its answer was lost
			front.Store(true)
			res, err := o.eng.RejectAdvance(ctx, getpaid.ActionRequest{PaymentID: p.ID})
			got := o.payment(t, p.ID)
			if tc.rejected {
				if err != nil || res.Payment.Status != getpaid.StatusFailed {
					t.Fatalf("Przelewy24's own 404: %v, %+v; want the reject done", err, res)
				}
				return
			}
			if err == nil || !getpaid.IsRetryable(err) || got.Status == getpaid.StatusFailed || got.Advance != 4000 {
				t.Fatalf("reject over a 404 that is not Przelewy24's: err %v (retryable %v); payment %s advance %d; want a retryable refusal, the advance kept",
					err, getpaid.IsRetryable(err), got.Status, got.Advance)
			}
		})
	}
}
