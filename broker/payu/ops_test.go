package payu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

// paidPayment takes a payment to paid at the simulator.
func (e *env) paidPayment(t *testing.T, amount string) *getpaid.Payment {
	t.Helper()
	p := e.payment(amount, "PLN")
	pr := e.prepare(t, p)
	if err := e.sim.Pay(context.Background(), pr.Redirect, payutest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	e.next(t, p)
	if p.Status != getpaid.StatusPaid {
		t.Fatalf("status %s", p.Status)
	}
	return p
}

func refundOp(id string, m getpaid.Money) *getpaid.Operation {
	return &getpaid.Operation{ID: id, Kind: getpaid.OpRefund, Amount: m}
}

// A refund carries the operation id as extRefundId and back in the
// observation; a retry of the same operation is the same refund at PayU.
func TestRefundEchoesOperation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, payutest.Config{}, nil)
	p := e.paidPayment(t, "10.00")
	req := &getpaid.RefundRequest{Payment: p, Amount: p.Money(300), OperationID: "op_0123456789abcdefghjkmnpqrs", Reason: "first try"}
	o, err := e.b.Refund(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind != getpaid.KindRefundStarted || o.OperationID != req.OperationID || o.BrokerRef == "" || o.Amount != p.Money(300) {
		t.Fatalf("observation %+v", o)
	}
	req.Reason = "a retry with another reason"
	again, err := e.b.Refund(ctx, req)
	if err != nil || again.BrokerRef != o.BrokerRef || again.EventID != o.EventID {
		t.Fatalf("retry: %+v, %v; want the same refund %s", again, err, o.BrokerRef)
	}
	if n := len(e.sim.Refunds(p.ExternalID)); n != 1 {
		t.Fatalf("PayU holds %d refunds, want 1", n)
	}
	if _, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(300)}); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("a refund without an operation id: err = %v", err)
	}
}

// FetchOperation tells a refund's state from PayU's refund list, in either
// of its documented shapes, with the event id of its notification.
func TestFetchOperationRefund(t *testing.T) {
	t.Parallel()
	for _, array := range []bool{false, true} {
		name := map[bool]string{false: "refunds object", true: "bare array"}[array]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, payutest.Config{RefundListArray: array}, nil)
			p := e.paidPayment(t, "10.00")
			if _, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: refundOp("op_none", p.Money(1))}); !errors.Is(err, getpaid.ErrNotFound) {
				t.Fatalf("before any refund: err = %v, want ErrNotFound", err)
			}
			for _, tc := range []struct {
				id, settle string
				want       getpaid.Kind
			}{
				{"op_pending", "", getpaid.KindRefundStarted},
				{"op_done", payu.RefundFinalized, getpaid.KindRefunded},
				{"op_cancelled", payu.RefundCanceled, getpaid.KindRefundFailed},
			} {
				started, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(100), OperationID: tc.id})
				if err != nil {
					t.Fatal(err)
				}
				if tc.settle != "" {
					if err := e.sim.SettleRefund(p.ExternalID, tc.id, tc.settle); err != nil {
						t.Fatal(err)
					}
				}
				got, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: refundOp(tc.id, p.Money(100))})
				if err != nil {
					t.Fatalf("%s: %v", tc.id, err)
				}
				if got.Kind != tc.want || got.OperationID != tc.id || got.BrokerRef != started.BrokerRef || got.Amount != p.Money(100) {
					t.Fatalf("%s: %+v", tc.id, got)
				}
				if tc.settle == "" {
					continue
				}
				n := <-e.obs // the refund's notification: the same fact, the same event id
				if n.EventID != got.EventID || n.Kind != got.Kind || n.BrokerRef != got.BrokerRef {
					t.Fatalf("%s: notification %+v, lookup %+v", tc.id, n, got)
				}
			}
			if _, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: refundOp("op_other", p.Money(1))}); !errors.Is(err, getpaid.ErrNotFound) {
				t.Fatalf("unknown refund: err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestParseRefundListShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"OpenAPI array", `[{"refundId":"5000000142","extRefundId":"op_a","amount":"100","currencyCode":"PLN","status":"PENDING"}]`, true},
		{"documented object", `{"refunds":[{"refundId":"5000000142","extRefundId":"op_a","amount":"100","currencyCode":"PLN","status":"PENDING"}]}`, true},
		{"empty array", `[]`, true},
		{"neither", `{"status":{"statusCode":"SUCCESS"}}`, false},
		{"garbage", `<html>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/authorize") {
					_, _ = io.WriteString(w, `{"access_token":"t","token_type":"bearer","expires_in":43199}`)
					return
				}
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			b, err := payu.New(payu.Config{PosID: "1", SecondKey: "k", ClientID: "1", ClientSecret: "s", APIURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			p := &getpaid.Payment{ID: "pay_1", ExternalID: "ORDER", Amount: getpaid.MustParseMoney("10", "PLN")}
			o, err := b.FetchOperation(context.Background(), &getpaid.OperationRequest{Payment: p, Operation: refundOp("op_a", p.Money(100))})
			switch {
			case tc.body == `[]`:
				if !errors.Is(err, getpaid.ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
			case tc.ok:
				if err != nil || o.Kind != getpaid.KindRefundStarted || o.BrokerRef != "5000000142" {
					t.Fatalf("%+v, %v", o, err)
				}
			default:
				var be *getpaid.BrokerError
				if !errors.As(err, &be) || errors.Is(err, getpaid.ErrNotFound) {
					t.Fatalf("err = %v, want a BrokerError that is not ErrNotFound", err)
				}
			}
		})
	}
}

func TestFetchOperationCaptureAndRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		kind getpaid.OperationKind
		do   func(e *env, p *getpaid.Payment) error
		want getpaid.Kind
	}{
		{"capture done", getpaid.OpCapture, func(e *env, p *getpaid.Payment) error {
			_, err := e.b.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: p.Money(600), OperationID: "op_1"})
			return err
		}, getpaid.KindCaptured},
		{"capture never made", getpaid.OpCapture, func(*env, *getpaid.Payment) error { return nil }, ""},
		{"release done", getpaid.OpRelease, func(e *env, p *getpaid.Payment) error {
			_, err := e.b.Release(ctx, &getpaid.ReleaseRequest{Payment: p, OperationID: "op_1"})
			return err
		}, getpaid.KindReleased},
		{"release never made", getpaid.OpRelease, func(*env, *getpaid.Payment) error { return nil }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, payutest.Config{}, nil)
			p := e.payment("10.00", "PLN")
			pr := e.prepare(t, p)
			_ = e.sim.Pay(ctx, pr.Redirect, payutest.OutcomePreAuth)
			e.next(t, p)
			if err := tc.do(e, p); err != nil {
				t.Fatal(err)
			}
			o, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: &getpaid.Operation{ID: "op_1", Kind: tc.kind}})
			if tc.want == "" {
				if !errors.Is(err, getpaid.ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil || o.Kind != tc.want || o.OperationID != "op_1" {
				t.Fatalf("%+v, %v", o, err)
			}
			if tc.want == getpaid.KindCaptured && (o.Amount != p.Money(600) || !o.ReleaseRest) {
				t.Fatalf("captured %+v, want 6.00 with the rest released", o)
			}
		})
	}
}

// The operation faults of the simulator: whatever the answer, the error
// says the operation may have happened, and FetchOperation tells whether it
// did.
func TestOperationFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		mode     string
		happened bool // at PayU
	}{
		{payutest.FaultTimeoutAfter, true},
		{payutest.FaultTimeoutBefore, false},
		{payutest.Fault5xx, false},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, payutest.Config{}, func(c *payu.Config) { c.Timeout = 300 * time.Millisecond })
			p := e.paidPayment(t, "10.00")
			e.sim.SetOperationFault(tc.mode)
			_, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(250), OperationID: "op_doubt"})
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || !be.Happened || !be.Retryable {
				t.Fatalf("err = %#v, want a retryable BrokerError that may have happened", err)
			}
			o, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: refundOp("op_doubt", p.Money(250))})
			if tc.happened {
				if err != nil || o.Kind != getpaid.KindRefundStarted || o.OperationID != "op_doubt" {
					t.Fatalf("lookup: %+v, %v; want the refund PayU made", o, err)
				}
			} else if !errors.Is(err, getpaid.ErrNotFound) {
				t.Fatalf("lookup: %+v, %v; want ErrNotFound", o, err)
			}
			e.sim.SetOperationFault(payutest.FaultNone)
			if n := len(e.sim.Refunds(p.ExternalID)); n != map[bool]int{true: 1, false: 0}[tc.happened] {
				t.Fatalf("PayU holds %d refunds", n)
			}
			// The retry the engine makes after a lookup: one refund in the end.
			if _, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(250), OperationID: "op_doubt"}); err != nil {
				t.Fatal(err)
			}
			if n := len(e.sim.Refunds(p.ExternalID)); n != 1 {
				t.Fatalf("after the retry PayU holds %d refunds, want 1", n)
			}
		})
	}
}

// A refusal did nothing: not Happened, not retryable.
func TestRefusalsDidNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, payutest.Config{}, nil)
	p := e.paidPayment(t, "10.00")
	_, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(5000), OperationID: "op_over"})
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || be.Happened || be.Retryable {
		t.Fatalf("overdrawn refund: err = %#v", err)
	}
	_, err = e.b.Capture(ctx, &getpaid.CaptureRequest{Payment: &getpaid.Payment{ID: p.ID, ExternalID: p.ExternalID, Amount: p.Amount, Locked: p.Amount.Minor, Status: getpaid.StatusPreAuth}, Amount: p.Amount, OperationID: "op_c"})
	if !errors.As(err, &be) || be.Happened || be.Retryable {
		t.Fatalf("capture of a completed order: err = %#v", err)
	}
}

// recorder keeps the JSON bodies the backend sends to PayU.
type recorder struct {
	mu     sync.Mutex
	bodies map[string][]byte // by "METHOD path"
}

func recordingEnv(t *testing.T, edit func(*payu.Config)) (*env, *recorder) {
	t.Helper()
	rec := &recorder{bodies: map[string][]byte{}}
	var e *env
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.bodies[r.Method+" "+r.URL.Path] = body
		rec.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	e = newEnv(t, payutest.Config{}, func(c *payu.Config) {
		c.APIURL = front.URL
		if edit != nil {
			edit(c)
		}
	})
	return e, rec
}

func (r *recorder) json(t *testing.T, key string) map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var m map[string]any
	if err := json.Unmarshal(r.bodies[key], &m); err != nil {
		t.Fatalf("%s: %v (%q)", key, err, r.bodies[key])
	}
	return m
}

func TestCreateOrderFieldLimitsAndSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, rec := recordingEnv(t, func(c *payu.Config) {
		c.ValidityTime = 15 * time.Minute
		c.PreAuthorization = true
	})
	p := e.payment("10.00", "PLN")
	p.Description = strings.Repeat("a", 254) + "żółć" + strings.Repeat("x", 4000) // a 2-byte letter across the 255th character
	p.Buyer.FirstName = strings.Repeat("ą", 120)
	e.prepare(t, p)
	m := rec.json(t, "POST /api/v2_1/orders")
	name := m["products"].([]any)[0].(map[string]any)["name"].(string)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) != 255 || name != strings.Repeat("a", 254)+"ż" {
		t.Fatalf("products[0].name has %d characters (valid UTF-8: %v)", utf8.RuneCountInString(name), utf8.ValidString(name))
	}
	if d := m["description"].(string); utf8.RuneCountInString(d) != 4000 {
		t.Fatalf("description has %d characters", utf8.RuneCountInString(d))
	}
	if fn := m["buyer"].(map[string]any)["firstName"].(string); utf8.RuneCountInString(fn) != 100 {
		t.Fatalf("buyer.firstName has %d characters", utf8.RuneCountInString(fn))
	}
	if m["validityTime"] != "900" {
		t.Fatalf("validityTime %v", m["validityTime"])
	}
	pm, _ := m["payMethods"].(map[string]any)["payMethod"].(map[string]any)
	if pm["type"] != "PBL" || pm["value"] != "c" || pm["authorizationType"] != "PRE_AUTHORIZATION" {
		t.Fatalf("payMethods %v", m["payMethods"])
	}
	// The simulator honours the pre-authorisation request: paying holds the money.
	pr := p.Redirect
	if err := e.sim.Pay(ctx, pr, payutest.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	if o := e.next(t, p); o.Kind != getpaid.KindLocked {
		t.Fatalf("got %+v, want a hold", o)
	}

	long := e.payment("1.00", "PLN")
	long.Buyer.Email = strings.Repeat("a", 250) + "@example.com"
	_, err := e.b.Prepare(ctx, &getpaid.PrepareRequest{Payment: long})
	var fe *getpaid.FieldError
	if !errors.As(err, &fe) || fe.Field != "buyer.email" || !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("email over 255 characters: err = %v", err)
	}
}

// A capture sends the whole hold as an empty body, part of it as
// {"amount","currencyCode"} with the amount a string of minor units.
func TestCaptureBodies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		amount int64
		want   string
	}{
		{"whole hold", 1000, ""},
		{"part", 400, `{"amount":"400","currencyCode":"PLN"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, rec := recordingEnv(t, nil)
			p := e.payment("10.00", "PLN")
			pr := e.prepare(t, p)
			_ = e.sim.Pay(ctx, pr.Redirect, payutest.OutcomePreAuth)
			e.next(t, p)
			if _, err := e.b.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: p.Money(tc.amount), OperationID: "op_c"}); err != nil {
				t.Fatal(err)
			}
			rec.mu.Lock()
			got := string(rec.bodies["POST /api/v2_1/orders/"+p.ExternalID+"/captures"])
			rec.mu.Unlock()
			if got != tc.want {
				t.Fatalf("body %q, want %q", got, tc.want)
			}
			if st, _ := e.sim.Order(p.ExternalID); st != payu.StatusCompleted {
				t.Fatalf("order %s", st)
			}
		})
	}
}

func TestTimeoutSetting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, payutest.Config{}, func(c *payu.Config) { c.Timeout = 100 * time.Millisecond })
	e.sim.SetFailure(payutest.FailureTimeout)
	start := time.Now()
	_, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: e.payment("1.00", "PLN")})
	if !getpaid.IsRetryable(err) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
}
