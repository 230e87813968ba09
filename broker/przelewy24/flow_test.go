package przelewy24

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
)

func TestFlowPaid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	p := newPayment(1000, "PLN")
	prep := e.prepare(t, p)
	if prep.ExternalID != "" || prep.Redirect.Method != http.MethodGet ||
		!strings.HasPrefix(prep.Redirect.URL, e.sim.URL()+"/trnRequest/") {
		t.Fatalf("prepared %+v %+v", prep, prep.Redirect)
	}
	if err := e.sim.Pay(ctx, prep.Redirect, p24test.OutcomePaid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "notification", func() bool { return len(e.recv.requests()) == 1 })
	o, err := e.b.ParseCallback(ctx, e.recv.requests()[0])
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind != getpaid.KindCaptured || !o.Full || o.PaymentID != p.ID || o.Amount != p.Amount {
		t.Fatalf("observation %+v", o)
	}
	if st, _ := e.sim.Status(p.ID); st != p24test.StatusAdvance {
		t.Fatalf("status before verify = %d, want 1", st)
	}
	if got, err := e.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p}); err != nil || got.Kind != getpaid.KindCaptured || got.BrokerStatus != "notification" || !got.MustConfirm {
		t.Fatalf("FetchStatus before verify = %+v, %v; want a capture that still needs verify", got, err)
	}
	if err := e.b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: o}); err != nil {
		t.Fatalf("ConfirmCallback: %v", err)
	}
	if !e.sim.Verified(p.ID) {
		t.Fatal("simulator not verified")
	}
	if changed, err := getpaid.Apply(p, o); !changed || err != nil || p.Status != getpaid.StatusPaid {
		t.Fatalf("Apply: %v %v %s", changed, err, p.Status)
	}
	if p.ExternalID != o.ExternalID || o.ExternalID == "" {
		t.Errorf("external id %q", p.ExternalID)
	}
	got, err := e.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
	if err != nil || got.Kind != getpaid.KindCaptured || !got.Full || got.Amount != p.Amount || got.ExternalID != p.ExternalID {
		t.Fatalf("FetchStatus after verify = %+v, %v", got, err)
	}
	// A second verify of the same notification (a duplicate) still succeeds.
	if err := e.b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: o}); err != nil {
		t.Errorf("repeat ConfirmCallback: %v", err)
	}
}

func TestFlowOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		outcome       string
		notifications int
		status        int
	}{
		{p24test.OutcomePaid, 1, p24test.StatusAdvance},
		{p24test.OutcomePartial, 1, p24test.StatusAdvance},
		{p24test.OutcomeDeclined, 0, p24test.StatusNoPayment},
		{p24test.OutcomeAbandoned, 0, p24test.StatusNoPayment},
	}
	for _, tc := range tests {
		t.Run(tc.outcome, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			p := newPayment(1001, "PLN")
			prep := e.prepare(t, p)
			if err := e.sim.Pay(ctx, prep.Redirect, tc.outcome); err != nil {
				t.Fatal(err)
			}
			if tc.notifications > 0 {
				waitFor(t, "notification", func() bool { return len(e.recv.requests()) == tc.notifications })
			}
			if n := len(e.recv.requests()); n != tc.notifications {
				t.Fatalf("%d notifications, want %d", n, tc.notifications)
			}
			if st, _ := e.sim.Status(p.ID); st != tc.status {
				t.Fatalf("status %d, want %d", st, tc.status)
			}
			o, err := e.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]getpaid.Kind{
				p24test.OutcomePaid:    getpaid.KindCaptured, // to be confirmed with verify before it counts
				p24test.OutcomePartial: getpaid.KindAdvance,  // paid another amount: for an operator
			}[tc.outcome]
			if want == "" {
				want = getpaid.KindNone
			}
			if o.Kind != want {
				t.Errorf("FetchStatus kind %s, want %s", o.Kind, want)
			}
		})
	}
}

// A buyer who pays another amount than registered leaves an advance:
// recorded, not verified, not paid, until an operator accepts it, which
// verifies it for the amount paid.
func TestAdvanceAcceptedByOperator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	p := newPayment(1000, "PLN")
	prep := e.prepare(t, p)
	if err := e.sim.Pay(ctx, prep.Redirect, p24test.OutcomePartial); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "notification", func() bool { return len(e.recv.requests()) > 0 })
	o, err := e.b.ParseCallback(ctx, e.recv.requests()[0])
	if err != nil || o.Kind != getpaid.KindAdvance || o.Amount != p.Money(500) || o.ExternalID == "" {
		t.Fatalf("advance %+v, %v", o, err)
	}
	if err := e.b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: o}); err != nil || e.sim.Verified(p.ID) {
		t.Fatalf("an advance was verified (%v)", err)
	}
	// The notification names the registered amount (originAmount): an
	// advance on a transaction of another amount is not this payment's.
	other := p.Clone()
	other.Amount = p.Money(2000)
	if _, err := getpaid.Apply(other, o); !errors.Is(err, getpaid.ErrAmountMismatch) {
		t.Fatalf("an advance on a transaction of 10.00 applied to a payment of 20.00: %v", err)
	}
	if changed, err := getpaid.Apply(p, o); !changed || err != nil || p.Status != getpaid.StatusChargeStarted || p.Advance != 500 || p.Captured != 0 {
		t.Fatalf("Apply advance: %v %v %+v", changed, err, p)
	}
	polled, err := e.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
	if err != nil || polled.Kind != getpaid.KindAdvance || polled.EventID != o.EventID || polled.Amount != o.Amount {
		t.Fatalf("FetchStatus of the advance %+v, %v; want the notification's fact", polled, err)
	}
	// What the engine confirms when an operator accepts the advance.
	accept := &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindCaptured, Amount: p.Money(p.Advance), BrokerStatus: "advance accepted"}
	for _, bad := range []getpaid.Money{p.Money(1001), {Minor: 500, Currency: "EUR"}, p.Money(0)} {
		wrong := *accept
		wrong.Amount = bad
		if err := e.b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: &wrong}); !errors.Is(err, getpaid.ErrAmountMismatch) {
			t.Fatalf("accepting %s: err = %v, want ErrAmountMismatch", bad, err)
		}
	}
	if e.sim.Verified(p.ID) {
		t.Fatal("verified by a refused acceptance")
	}
	if err := e.b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: accept}); err != nil || !e.sim.Verified(p.ID) {
		t.Fatalf("accepting the advance: %v, verified %v", err, e.sim.Verified(p.ID))
	}
	if _, err := getpaid.Apply(p, accept); err != nil || p.Status != getpaid.StatusPartiallyPaid || p.Captured != 500 || p.Advance != 0 {
		t.Fatalf("after acceptance: %v %+v", err, p)
	}
	got, err := e.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
	if err != nil || got.Kind != getpaid.KindCaptured || got.Amount != p.Money(500) || got.Full {
		t.Fatalf("FetchStatus after acceptance %+v, %v", got, err)
	}
	if err := e.b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: got}); err != nil {
		t.Fatalf("a verified poll needs no confirmation: %v", err)
	}
}

func TestConfirmCallbackFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(*p24test.Server)
		amount    int64
		currency  string
		wantErr   error
		retryable bool
	}{
		{"verify refused", func(s *p24test.Server) { s.SetVerifyFailure(true) }, 0, "", nil, false},
		{"broker 5xx", func(s *p24test.Server) { s.SetFailure("5xx") }, 0, "", nil, true},
		{"broker timeout", func(s *p24test.Server) { s.SetFailure("timeout") }, 0, "", nil, true},
		{"more than the payment", func(*p24test.Server) {}, 1001, "", getpaid.ErrAmountMismatch, false},
		{"wrong currency", func(*p24test.Server) {}, 0, "EUR", getpaid.ErrAmountMismatch, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			p := newPayment(1000, "PLN")
			prep := e.prepare(t, p)
			if err := e.sim.Pay(ctx, prep.Redirect, p24test.OutcomePaid); err != nil {
				t.Fatal(err)
			}
			req, err := e.sim.Notification(p.ID, 0, tc.currency)
			if err != nil {
				t.Fatal(err)
			}
			o, err := e.b.ParseCallback(ctx, req)
			if err != nil {
				t.Fatalf("ParseCallback of a simulator notification: %v", err)
			}
			if tc.amount != 0 {
				o.Amount.Minor = tc.amount // as an acceptance of a larger advance would ask
			}
			tc.setup(e.sim)
			err = e.b.ConfirmCallback(ctx, &getpaid.ConfirmRequest{Payment: p, Observation: o})
			if err == nil {
				t.Fatal("ConfirmCallback succeeded")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			var be *getpaid.BrokerError
			if tc.wantErr == nil && !errors.As(err, &be) {
				t.Errorf("err = %v, want a BrokerError", err)
			}
			if getpaid.IsRetryable(err) != tc.retryable {
				t.Errorf("retryable = %v, want %v (%v)", getpaid.IsRetryable(err), tc.retryable, err)
			}
			e.sim.SetFailure("")
			if st, _ := e.sim.Status(p.ID); st != p24test.StatusAdvance {
				t.Errorf("status %d, want 1 (not verified)", st)
			}
		})
	}
}

func TestBrokerDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		mode string
		call func(*env, *getpaid.Payment) error
	}{
		{"prepare 5xx", "5xx", func(e *env, p *getpaid.Payment) error {
			_, err := e.b.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
			return err
		}},
		{"prepare timeout", "timeout", func(e *env, p *getpaid.Payment) error {
			_, err := e.b.Prepare(ctx, &getpaid.PrepareRequest{Payment: p})
			return err
		}},
		{"status 5xx", "5xx", func(e *env, p *getpaid.Payment) error {
			_, err := e.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
			return err
		}},
		{"status timeout", "timeout", func(e *env, p *getpaid.Payment) error {
			_, err := e.b.FetchStatus(ctx, &getpaid.StatusRequest{Payment: p})
			return err
		}},
		{"refund 5xx", "5xx", func(e *env, p *getpaid.Payment) error {
			p.ExternalID = "300000001"
			_, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Amount, OperationID: "ref_1"})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.sim.SetFailure(tc.mode)
			err := tc.call(e, newPayment(1000, "PLN"))
			if !getpaid.IsRetryable(err) {
				t.Fatalf("err = %v, want a retryable BrokerError", err)
			}
		})
	}
}

func TestAuthenticationFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "wrong", APIURL: e.sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Provision(context.Background(), getpaid.NewEnv("przelewy24", "https://shop.example", nil)); err != nil {
		t.Fatal(err)
	}
	_, err = b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: newPayment(100, "PLN")})
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || be.Retryable || be.Status != http.StatusUnauthorized || !strings.Contains(err.Error(), "Incorrect authentication") {
		t.Fatalf("err = %#v", err)
	}
}

func TestPrepareCurrencies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, cur := range append(DefaultCurrencies(), "JPY", "KWD", "HRK") {
		t.Run(cur, func(t *testing.T) {
			t.Parallel()
			p := newPayment(12345, cur)
			_, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
			if cur == "JPY" || cur == "KWD" || cur == "HRK" {
				if !errors.Is(err, getpaid.ErrCurrencyNotAccepted) {
					t.Fatalf("err = %v, want currency not accepted", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The simulator's lookup echoes the registered integer amount.
			o, err := e.b.FetchStatus(context.Background(), &getpaid.StatusRequest{Payment: p})
			if err != nil || o.Kind != getpaid.KindNone {
				t.Fatalf("FetchStatus %+v %v", o, err)
			}
		})
	}
}

func TestPrepareRefusesBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		mod     func(*getpaid.Payment, *getpaid.PrepareRequest)
		wantErr error
	}{
		{"no email", func(p *getpaid.Payment, _ *getpaid.PrepareRequest) { p.Buyer.Email = "" }, getpaid.ErrInvalidRequest},
		{"zero amount", func(p *getpaid.Payment, _ *getpaid.PrepareRequest) { p.Amount.Minor = 0 }, getpaid.ErrInvalidAmount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPayment(100, "PLN")
			r := &getpaid.PrepareRequest{Payment: p}
			tc.mod(p, r)
			if _, err := e.b.Prepare(context.Background(), r); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}
