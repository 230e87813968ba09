package payu_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

// env is a backend wired to a simulator and a callback receiver.
type env struct {
	sim   *payutest.Server
	b     *payu.Broker
	recv  *httptest.Server
	obs   chan *getpaid.Observation
	fails atomic.Int32 // answer 500 to this many callbacks first
}

// newEnv starts a simulator that skips the PENDING notification.
func newEnv(t *testing.T, simCfg payutest.Config, edit func(*payu.Config)) *env {
	t.Helper()
	simCfg.SkipPending = true
	return newEnvRaw(t, simCfg, edit)
}

func newEnvRaw(t *testing.T, simCfg payutest.Config, edit func(*payu.Config)) *env {
	t.Helper()
	e := &env{sim: payutest.Start(simCfg), obs: make(chan *getpaid.Observation, 16)}
	t.Cleanup(e.sim.Close)
	sc := e.sim.Config()
	cfg := payu.Config{PosID: sc.PosID, SecondKey: sc.SecondKey, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret, APIURL: e.sim.URL()}
	if edit != nil {
		edit(&cfg)
	}
	b, err := payu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.b = b
	e.recv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.fails.Add(-1) >= 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		body, _ := io.ReadAll(r.Body)
		o, err := b.ParseCallback(r.Context(), &getpaid.CallbackRequest{Method: r.Method, Header: r.Header, Body: body})
		if err != nil {
			t.Errorf("callback refused: %v", err)
			w.WriteHeader(http.StatusForbidden)
			return
		}
		e.obs <- o
	}))
	t.Cleanup(e.recv.Close)
	if err := b.Provision(context.Background(), getpaid.NewEnv("payu", e.recv.URL, nil)); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) payment(amount, currency string) *getpaid.Payment {
	return &getpaid.Payment{ID: getpaid.NewID("pay"), Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney(amount, currency),
		Description: "Order 42", Buyer: getpaid.Buyer{Email: "buyer@example.com", FirstName: "Jan", Language: "pl"}}
}

// prepare registers p at the simulator and marks it prepared.
func (e *env) prepare(t *testing.T, p *getpaid.Payment) *getpaid.Prepared {
	t.Helper()
	pr, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p, ClientIP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	if err := getpaid.MarkPrepared(p, pr.ExternalID, pr.Redirect); err != nil {
		t.Fatal(err)
	}
	return pr
}

// next waits for the next callback observation and applies it.
func (e *env) next(t *testing.T, p *getpaid.Payment) *getpaid.Observation {
	t.Helper()
	select {
	case o := <-e.obs:
		if o.PaymentID != p.ID || o.ExternalID != p.ExternalID {
			t.Fatalf("observation for %s/%s, want %s/%s", o.PaymentID, o.ExternalID, p.ID, p.ExternalID)
		}
		if _, err := getpaid.Apply(p, o); err != nil {
			t.Fatalf("apply %+v: %v", o, err)
		}
		return o
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	return nil
}

func apply(t *testing.T, p *getpaid.Payment, o *getpaid.Observation, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := getpaid.Apply(p, o); err != nil {
		t.Fatalf("apply %+v: %v", o, err)
	}
}

func TestJourneys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		journey func(t *testing.T, e *env, p *getpaid.Payment, redirect *getpaid.Redirect)
		want    getpaid.Status
	}{
		{"pay now", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			if err := e.sim.Pay(ctx, r, payutest.OutcomePaid); err != nil {
				t.Fatal(err)
			}
			if o := e.next(t, p); o.Kind != getpaid.KindCaptured || o.Amount != p.Amount || !o.ReleaseRest {
				t.Fatalf("got %+v", o)
			}
		}, getpaid.StatusPaid},
		{"decline", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			_ = e.sim.Pay(ctx, r, payutest.OutcomeDeclined)
			e.next(t, p)
		}, getpaid.StatusFailed},
		{"abandon then expire", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			_ = e.sim.Pay(ctx, r, payutest.OutcomeAbandoned)
			if st, _ := e.sim.Order(p.ExternalID); st != payu.StatusNew {
				t.Fatalf("abandoned order is %s", st)
			}
			e.sim.Expire(p.ExternalID)
			e.next(t, p)
		}, getpaid.StatusFailed},
		{"authorise then capture", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			_ = e.sim.Pay(ctx, r, payutest.OutcomePreAuth)
			e.next(t, p)
			if p.Status != getpaid.StatusPreAuth || p.Locked != p.Amount.Minor {
				t.Fatalf("after hold: %s locked %d", p.Status, p.Locked)
			}
			if _, err := e.b.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: p.Money(p.Amount.Minor + 1), OperationID: "op_c"}); !errors.Is(err, getpaid.ErrInvalidAmount) {
				t.Fatalf("capture above the hold: err = %v", err)
			}
			o, err := e.b.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: p.Amount, OperationID: "op_c"})
			if err != nil || o.OperationID != "op_c" || !o.Full || o.Amount != p.Amount {
				t.Fatalf("capture: %+v, %v", o, err)
			}
			apply(t, p, o, nil)
			if o := e.next(t, p); o.BrokerStatus != payu.StatusCompleted {
				t.Fatalf("got %+v", o)
			}
		}, getpaid.StatusPaid},
		{"authorise then capture part: the rest released", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			_ = e.sim.Pay(ctx, r, payutest.OutcomePreAuth)
			e.next(t, p)
			o, err := e.b.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: p.Money(400), OperationID: "op_part"})
			if err != nil || o.Kind != getpaid.KindCaptured || o.Amount != p.Money(400) || !o.ReleaseRest || o.Full {
				t.Fatalf("partial capture: %+v, %v", o, err)
			}
			apply(t, p, o, nil)
			if p.Status != getpaid.StatusPartiallyPaid || p.Captured != 400 || p.Locked != 0 {
				t.Fatalf("after the capture answer: %s captured %d locked %d", p.Status, p.Captured, p.Locked)
			}
			// PayU's COMPLETED notification confirms it without counting it twice.
			before := *p
			o = e.next(t, p)
			if o.Kind != getpaid.KindCaptured || o.Amount != p.Money(400) || *p != before {
				t.Fatalf("COMPLETED after a partial capture: %+v moved %+v to %+v", o, before, *p)
			}
		}, getpaid.StatusPartiallyPaid},
		{"authorise then release", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			_ = e.sim.Pay(ctx, r, payutest.OutcomePreAuth)
			e.next(t, p)
			o, err := e.b.Release(ctx, &getpaid.ReleaseRequest{Payment: p})
			apply(t, p, o, err)
			if o := e.next(t, p); o.BrokerStatus != payu.StatusCanceled {
				t.Fatalf("got %+v", o)
			}
		}, getpaid.StatusCancelled},
		{"authorisation expires", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			_ = e.sim.Pay(ctx, r, payutest.OutcomePreAuth)
			e.next(t, p)
			e.sim.Expire(p.ExternalID)
			e.next(t, p)
		}, getpaid.StatusFailed},
		{"delayed settlement", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			_ = e.sim.Pay(ctx, r, payutest.OutcomePending)
			e.next(t, p)
			if p.Status != getpaid.StatusChargeStarted {
				t.Fatalf("status %s", p.Status)
			}
			if err := e.sim.Settle(p.ExternalID, payu.StatusCompleted); err != nil {
				t.Fatal(err)
			}
			e.next(t, p)
		}, getpaid.StatusPaid},
		{"cancel unpaid", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			o, err := e.b.Cancel(ctx, &getpaid.CancelRequest{Payment: p})
			apply(t, p, o, err)
			e.next(t, p)
		}, getpaid.StatusCancelled},
		{"full refund finalized", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			_ = e.sim.Pay(ctx, r, payutest.OutcomePaid)
			e.next(t, p)
			o, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Amount, OperationID: "ref_1"})
			apply(t, p, o, err)
			if p.Status != getpaid.StatusRefundStarted {
				t.Fatalf("status %s", p.Status)
			}
			if err := e.sim.SettleRefund(p.ExternalID, "ref_1", payu.RefundFinalized); err != nil {
				t.Fatal(err)
			}
			if o := e.next(t, p); o.Kind != getpaid.KindRefunded {
				t.Fatalf("got %+v", o)
			}
		}, getpaid.StatusRefunded},
		{"partial refunds, one cancelled", func(t *testing.T, e *env, p *getpaid.Payment, r *getpaid.Redirect) {
			_ = e.sim.Pay(ctx, r, payutest.OutcomePaid)
			e.next(t, p)
			o, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(300), OperationID: "ref_a"})
			apply(t, p, o, err)
			_ = e.sim.SettleRefund(p.ExternalID, "ref_a", payu.RefundCanceled)
			if o := e.next(t, p); o.Kind != getpaid.KindRefundFailed || p.Status != getpaid.StatusPaid {
				t.Fatalf("got %+v, %s", o, p.Status)
			}
			o, err = e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(400), OperationID: "ref_b"})
			apply(t, p, o, err)
			if again, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(400), OperationID: "ref_b"}); err != nil || again.EventID != o.EventID {
				t.Fatalf("idempotent repeat: %+v, %v", again, err)
			}
			if _, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(700), OperationID: "ref_c"}); err == nil || getpaid.IsRetryable(err) {
				t.Fatalf("overdraw err = %v", err)
			}
			_ = e.sim.SettleRefund(p.ExternalID, "ref_b", payu.RefundFinalized)
			e.next(t, p)
		}, getpaid.StatusPartiallyRefunded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, payutest.Config{}, nil)
			p := e.payment("10.00", "PLN")
			pr := e.prepare(t, p)
			tc.journey(t, e, p, pr.Redirect)
			if p.Status != tc.want {
				t.Fatalf("status %s, want %s", p.Status, tc.want)
			}
		})
	}
}
