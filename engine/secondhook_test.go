package engine_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// seconds records what the SecondTransaction hook was told.
type seconds struct {
	mu  sync.Mutex
	got []string // backend/payment/transaction
}

func (s *seconds) hook(_ context.Context, backend, payment, transaction string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, backend+"/"+payment+"/"+transaction)
}

func (s *seconds) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// Operators hear of money at the broker that no payment counts (a buyer
// who paid twice) from the SecondTransaction hook (the metrics' alert),
// once per transaction recorded as a second one, whatever showed it. The
// callbacks' second_transaction outcome, on which the alert was built,
// missed the transaction whose advance another's capture cleared (that
// notification is applied), and every one a poll found: recorded and
// logged at ERROR, heard by no alert.
func TestSecondTransactionHookOncePerTransaction(t *testing.T) {
	t.Parallel()
	type fact struct {
		poll bool // found by Poll, not a notification
		ext  string
		kind getpaid.Kind
		paid string // amount
	}
	tests := []struct {
		name    string
		confirm bool // at a broker that confirms facts (Przelewy24)
		facts   []fact
		want    []string // the transactions the hook names
	}{
		{"paid twice, the second repeated", false, []fact{
			{false, "TR-1", getpaid.KindCaptured, "15.00"}, {false, "TR-2", getpaid.KindCaptured, "15.00"}, {false, "TR-2", getpaid.KindCaptured, "15.00"},
		}, []string{"TR-2"}},
		{"an advance cleared by another transaction's capture, repeated", false, []fact{
			{false, "TR-1", getpaid.KindAdvance, "6.00"}, {false, "TR-2", getpaid.KindCaptured, "15.00"}, {false, "TR-2", getpaid.KindCaptured, "15.00"},
			{false, "TR-1", getpaid.KindAdvance, "6.00"},
		}, []string{"TR-1"}},
		{"an advance cleared at a confirming broker", true, []fact{
			{false, "TR-1", getpaid.KindAdvance, "6.00"}, {false, "TR-2", getpaid.KindCaptured, "15.00"}, {false, "TR-2", getpaid.KindCaptured, "15.00"},
		}, []string{"TR-1"}},
		{"another amount paid once paid, at a confirming broker", true, []fact{
			{false, "TR-1", getpaid.KindCaptured, "15.00"}, {false, "TR-2", getpaid.KindAdvance, "6.00"}, {false, "TR-2", getpaid.KindAdvance, "6.00"},
		}, []string{"TR-2"}},
		{"found by a poll, then notified", false, []fact{
			{false, "TR-1", getpaid.KindCaptured, "15.00"}, {true, "TR-2", getpaid.KindCaptured, "15.00"}, {true, "TR-2", getpaid.KindCaptured, "15.00"},
			{false, "TR-2", getpaid.KindCaptured, "15.00"},
		}, []string{"TR-2"}},
		{"found by a poll at a confirming broker", true, []fact{
			{false, "TR-1", getpaid.KindCaptured, "15.00"}, {true, "TR-2", getpaid.KindCaptured, "15.00"},
		}, []string{"TR-2"}},
		{"one transaction paying, repeated", false, []fact{
			{false, "TR-1", getpaid.KindCaptured, "15.00"}, {false, "TR-1", getpaid.KindCaptured, "15.00"}, {true, "TR-1", getpaid.KindCaptured, "15.00"},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pb := &pollingBroker{fakeBroker: &fakeBroker{}}
			var b getpaid.Broker = pb
			if tt.confirm {
				b = &confirmingPoller{pb}
			}
			var rec seconds
			e := newEngineConfig(t, b, engine.Config{Store: memory.New(), Hooks: engine.Hooks{SecondTransaction: rec.hook}})
			ctx := context.Background()
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-twice", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.facts {
				amount := getpaid.MustParseMoney(f.paid, "PLN")
				obs := &getpaid.Observation{PaymentID: p.ID, ExternalID: f.ext, EventID: f.ext + ":" + string(f.kind), Kind: f.kind,
					Amount: amount, Full: amount == p.Amount}
				if f.poll {
					pb.status.Store(obs)
					_, err = e.Poll(ctx, p.ID)
				} else {
					pb.obs = obs
					_, err = e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
				}
				if err != nil {
					t.Fatalf("%+v: %v", f, err)
				}
			}
			var want []string
			for _, ext := range tt.want {
				want = append(want, "fake/"+p.ID+"/"+ext)
			}
			if got := rec.list(); !slices.Equal(got, want) {
				t.Fatalf("the hook heard %v, want %v", got, want)
			}
			// What the hook heard is what the console lists.
			listed, err := e.SecondTransactions(ctx, p.ID)
			if err != nil || len(listed) != len(tt.want) {
				t.Fatalf("SecondTransactions = %+v, %v; want %v", listed, err, tt.want)
			}
			for i, s := range listed {
				if s.ExternalID != tt.want[i] {
					t.Fatalf("SecondTransactions = %+v; want %v", listed, tt.want)
				}
			}
		})
	}
}

// A capture naming another payment's own transaction clears no advance:
// it is refused, and no second transaction is recorded or heard of.
func TestSecondTransactionHookNotForAnotherPaymentsTransaction(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	var rec seconds
	e := newEngineConfig(t, fb, engine.Config{Store: memory.New(), Hooks: engine.Hooks{SecondTransaction: rec.hook}})
	ctx := context.Background()
	pay := func(order string) *getpaid.Payment {
		p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: order, Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, other := pay("o-1"), pay("o-2")
	fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "adv", Kind: getpaid.KindAdvance, Amount: getpaid.MustParseMoney("6.00", "PLN")}
	if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
		t.Fatal(err)
	}
	fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: other.ExternalID, EventID: "cap", Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true}
	if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err == nil {
		t.Fatal("a capture naming another payment's transaction was taken")
	}
	if got := rec.list(); len(got) != 0 {
		t.Fatalf("the hook heard %v for a capture refused", got)
	}
}

// JoinHooks calls each set's SecondTransaction hook.
func TestSecondTransactionHooksJoined(t *testing.T) {
	t.Parallel()
	var a, b seconds
	h := engine.JoinHooks(engine.Hooks{SecondTransaction: a.hook}, engine.Hooks{}, engine.Hooks{SecondTransaction: b.hook})
	h.SecondTransaction(context.Background(), "fake", "pay_1", "TR-2")
	if !slices.Equal(a.list(), []string{"fake/pay_1/TR-2"}) || !slices.Equal(b.list(), a.list()) {
		t.Fatalf("joined hooks heard %v and %v", a.list(), b.list())
	}
}

// confirmingPoller is pollingBroker with a confirmation step (Przelewy24's
// verify).
type confirmingPoller struct{ *pollingBroker }

func (confirmingPoller) ConfirmCallback(context.Context, *getpaid.ConfirmRequest) error { return nil }
