package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
)

// hookLog records what the hooks saw.
type hookLog struct {
	mu      sync.Mutex
	calls   []string // backend/op/ok
	created int
	moves   []getpaid.Status
}

func (l *hookLog) hooks(tag string) engine.Hooks {
	return engine.Hooks{
		BrokerCall: func(ctx context.Context, backend, op string) (context.Context, func(error)) {
			ctx = context.WithValue(ctx, hookKey(tag), true)
			return ctx, func(err error) {
				l.mu.Lock()
				defer l.mu.Unlock()
				l.calls = append(l.calls, tag+":"+backend+"/"+op+"/"+map[bool]string{true: "ok", false: "err"}[err == nil])
			}
		},
		Changed: func(ctx context.Context, res *getpaid.UpdateResult, created bool) {
			l.mu.Lock()
			defer l.mu.Unlock()
			if created {
				l.created++
			}
			if res.Transition != nil {
				l.moves = append(l.moves, res.Transition.To)
			}
		},
	}
}

type hookKey string

func TestHooks(t *testing.T) {
	t.Parallel()
	var a, b hookLog
	env := newDummyEnv(t, dummy.Config{}, engine.Config{Hooks: engine.JoinHooks(a.hooks("a"), b.hooks("b"))})
	p := env.pay("o-hooks", "10.00", "paid", getpaid.StatusPaid)
	if _, err := env.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: money("4.00")}); err != nil {
		t.Fatal(err)
	}
	env.wait(p.ID, func(q *getpaid.Payment) bool { return q.Status == getpaid.StatusPartiallyRefunded })
	if _, err := env.callback(dummy.Callback{PaymentID: p.ID, EventID: "bad", Status: "nonsense"}); err == nil {
		t.Fatal("a nonsense callback was accepted")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, want := range []string{"a:dummy/prepare/ok", "a:dummy/parse_callback/ok", "a:dummy/refund/ok"} {
		if !slices.Contains(a.calls, want) {
			t.Errorf("broker calls %v lack %s", a.calls, want)
		}
	}
	if !slices.ContainsFunc(a.calls, func(s string) bool { return strings.HasSuffix(s, "parse_callback/err") }) {
		t.Errorf("broker calls %v lack the refused callback", a.calls)
	}
	if a.created != 1 {
		t.Errorf("created = %d, want 1", a.created)
	}
	for _, want := range []getpaid.Status{getpaid.StatusPrepared, getpaid.StatusPaid, getpaid.StatusRefundStarted, getpaid.StatusPartiallyRefunded} {
		if !slices.Contains(a.moves, want) {
			t.Errorf("transitions %v lack %s", a.moves, want)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.calls) != len(a.calls) || b.created != 1 {
		t.Errorf("the second hook set saw %d calls and %d creations, the first %d and %d", len(b.calls), b.created, len(a.calls), a.created)
	}
}

func TestPaymentTotalsAndReady(t *testing.T) {
	t.Parallel()
	env := newDummyEnv(t, dummy.Config{}, engine.Config{})
	env.pay("o-tot", "10.00", "paid", getpaid.StatusPaid)
	got, err := env.eng.PaymentTotals(context.Background(), getpaid.PaymentFilter{})
	if err != nil || len(got) != 1 || got[0].Status != getpaid.StatusPaid || got[0].Count != 1 || got[0].Amount.Minor != 1000 {
		t.Fatalf("PaymentTotals = %+v, %v", got, err)
	}
	if _, err := env.eng.PaymentTotals(context.Background(), getpaid.PaymentFilter{Status: "bogus"}); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Errorf("PaymentTotals(bogus status) = %v, want ErrInvalidRequest", err)
	}
	if err := env.eng.Ready(context.Background()); err != nil {
		t.Errorf("Ready = %v", err)
	}
}

// A BrokerCall hook of the shop's own that answers no done function (or no
// context: "nothing to add") is taken as one that watches nothing of the
// call: before, the engine called the nil done after every broker call and
// panicked, in Pay and in Run's polling, ending the shop's process.
func TestBrokerCallHookAnsweringNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		hook func(ctx context.Context, backend, op string) (context.Context, func(error))
	}{
		{"no done", func(ctx context.Context, _, _ string) (context.Context, func(error)) { return ctx, nil }},
		{"nothing", func(context.Context, string, string) (context.Context, func(error)) { return nil, nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log hookLog
			env := newDummyEnv(t, dummy.Config{}, engine.Config{Hooks: engine.JoinHooks(engine.Hooks{BrokerCall: tc.hook}, log.hooks("b"))})
			ctx := context.Background()
			var p *getpaid.Payment
			err := noPanic(func() (err error) {
				p, err = env.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-hook", Backend: "dummy", Amount: getpaid.MustParseMoney("10.00", "PLN")})
				return err
			})
			if err != nil {
				t.Fatalf("pay: %v", err)
			}
			if err := noPanic(func() error { _, err := env.eng.Poll(ctx, p.ID); return err }); err != nil {
				t.Fatalf("poll: %v", err)
			}
			log.mu.Lock()
			defer log.mu.Unlock()
			if want := []string{"b:dummy/prepare/ok", "b:dummy/fetch_status/ok"}; !slices.Equal(log.calls, want) {
				t.Errorf("the hook joined with it saw %v, want %v", log.calls, want)
			}
		})
	}
}
