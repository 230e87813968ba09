package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/sqlite"
)

// crashAfterPayment is a store whose process "dies" after a payment's
// write: once the write of key has committed, every write recording a
// second transaction (keys holding "/second-transaction") fails until
// restarted.
type crashAfterPayment struct {
	beforeWrite
	mu      sync.Mutex
	crashed bool
}

func (s *crashAfterPayment) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	s.mu.Lock()
	crashed := s.crashed
	s.mu.Unlock()
	if crashed && strings.Contains(m.EventKey, "/second-transaction") {
		return nil, errors.New("the process died")
	}
	res, err := s.beforeWrite.UpdatePayment(ctx, id, m)
	if err == nil && m.EventKey == s.key {
		s.mu.Lock()
		s.crashed = true
		s.mu.Unlock()
	}
	return res, err
}

func (s *crashAfterPayment) restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crashed = false
}

// A buyer's second transaction (TR-2, 15.00) read before the payment was
// paid, its write finding it paid meanwhile by TR-1 (two notifications at
// once): its record as a second transaction (and, at a broker whose money
// getpaid confirms, as confirmed) was a write of its own after the
// notification's. A process dying between the two lost it for good: the
// broker sent the notification again (never answered), which found its
// event applied, a duplicate, and recorded nothing. The console listed no
// second transaction, and TR-2's refund, which the buyer was owed, was
// counted as the payment's own: the payment read refunded with its money
// still there. The records are now written with the notification's write.
func TestSecondTransactionRecordSurvivesCrash(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T) getpaid.Store{
		"memory": func(*testing.T) getpaid.Store { return memory.New() },
		"sqlite": func(t *testing.T) getpaid.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "getpaid.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	for _, confirms := range []bool{false, true} {
		for name, open := range stores {
			if confirms {
				name += "-confirmed"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				facts := &factsByBody{fakeBroker: &fakeBroker{}, facts: map[string]*getpaid.Observation{}}
				var b getpaid.Broker = facts
				if confirms {
					b = confirmingFacts{facts}
				}
				store := &crashAfterPayment{beforeWrite: beforeWrite{Store: open(t), key: "fake:tr2-paid"}}
				var hooked atomic.Int64
				e := newEngineConfig(t, b, engine.Config{Store: store, Hooks: engine.Hooks{
					SecondTransaction: func(context.Context, string, string, string) { hooked.Add(1) }}})
				p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-crash", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
				if err != nil {
					t.Fatal(err)
				}
				fact := func(body, ext string, kind getpaid.Kind) {
					m := getpaid.MustParseMoney("15.00", "PLN")
					facts.facts[body] = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: body, Kind: kind, Amount: m, Full: true}
				}
				fact("tr1-paid", "TR-1", getpaid.KindCaptured)
				fact("tr2-paid", "TR-2", getpaid.KindCaptured)
				fact("tr2-refunded", "TR-2", getpaid.KindRefunded)
				send := func(body string) (getpaid.Outcome, error) {
					res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{Body: []byte(body)})
					if err != nil {
						return "", err
					}
					return res.Outcome, nil
				}
				store.then = func() {
					// TR-1 pays the payment meanwhile.
					if got, err := send("tr1-paid"); err != nil || got != getpaid.OutcomeApplied {
						t.Errorf("TR-1's capture meanwhile: %s, %v", got, err)
					}
				}
				// Whatever it answers, the process died: the broker sends it again.
				_, _ = send("tr2-paid")
				store.restart()
				if _, err := send("tr2-paid"); err != nil {
					t.Fatalf("TR-2's capture again: %v", err)
				}
				seconds, err := e.SecondTransactions(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if want := []getpaid.SecondTransaction{{ExternalID: "TR-2", Confirmed: confirms}}; len(seconds) != 1 || seconds[0] != want[0] {
					t.Errorf("second transactions %+v; want %+v", seconds, want)
				}
				if n := hooked.Load(); n != 1 {
					t.Errorf("the SecondTransaction hook was called %d times; want once", n)
				}
				if _, err := send("tr2-refunded"); err != nil {
					t.Fatalf("TR-2's refund: %v", err)
				}
				q, err := e.Payment(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if q.Refunded != 0 || q.Status != getpaid.StatusPaid {
					t.Fatalf("TR-2's refund counted as the payment's: %s, refunded %d; want paid, refunded 0", q.Status, q.Refunded)
				}
			})
		}
	}
}
