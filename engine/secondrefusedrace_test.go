package engine_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/sqlite"
)

// factsByBody is the fake broker reporting the fact its body names.
type factsByBody struct {
	*fakeBroker
	mu    sync.Mutex
	facts map[string]*getpaid.Observation
}

func (b *factsByBody) ParseCallback(_ context.Context, r *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := *b.facts[string(r.Body)]
	return &o, nil
}

// refusedThen is a store that, once the refund of another transaction is
// recorded as one the payment refuses (read before its write), runs
// between that record and the refund's write: another notification
// handled meanwhile.
type refusedThen struct {
	getpaid.Store
	once sync.Once
	then func()
}

func (s *refusedThen) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	up, err := s.Store.UpdatePayment(ctx, id, m)
	if strings.Contains(m.EventKey, "/second-transaction-refund-refused:") {
		s.once.Do(s.then)
	}
	return up, err
}

// A refund of another transaction than the payment's (a CHARGEBACK of
// TR-OTHER, 15.00), read against a payment paid 6.00 of 15.00 and so
// recorded as one the payment refuses (b3c2936), while the rest of the
// payment's own capture is written by another notification: the refund's
// write then fits, and counts 15.00 as the payment's refund. When TR-OTHER's
// capture followed, a second transaction, its refund was taken for one
// that counted nothing: no ERROR, though the payment's refunded total held
// TR-OTHER's money. It is now recorded as counted when the write counts it.
func TestRefusedRefundCountedMeanwhile(t *testing.T) {
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
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := &factsByBody{fakeBroker: &fakeBroker{}, facts: map[string]*getpaid.Observation{}}
			store := &refusedThen{Store: open(t)}
			logs := &lockedBuffer{}
			e := newEngineConfig(t, b, engine.Config{Store: store, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-refused-race", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			fact := func(body, ext, event string, kind getpaid.Kind, amount string) {
				m := getpaid.MustParseMoney(amount, "PLN")
				b.facts[body] = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: event, Kind: kind, Amount: m, Full: m == p.Amount}
			}
			fact("part", p.ExternalID, "paid-part", getpaid.KindCaptured, "6.00")
			fact("rest", p.ExternalID, "paid-whole", getpaid.KindCaptured, "15.00")
			fact("other-refunded", "TR-OTHER", "other-refunded", getpaid.KindRefunded, "15.00")
			fact("other-paid", "TR-OTHER", "other-paid", getpaid.KindCaptured, "15.00")
			send := func(body string) (getpaid.Outcome, error) {
				res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{Body: []byte(body)})
				if err != nil {
					return "", err
				}
				return res.Outcome, nil
			}
			if got, err := send("part"); err != nil || got != getpaid.OutcomeApplied {
				t.Fatalf("paying 6.00: %s, %v", got, err)
			}
			store.then = func() {
				// The rest paid meanwhile, by a notification of its own.
				done := make(chan error, 1)
				go func() {
					got, err := send("rest")
					if err == nil && got != getpaid.OutcomeApplied {
						err = errOutcome(got)
					}
					done <- err
				}()
				if err := <-done; err != nil {
					t.Errorf("paying the rest meanwhile: %v", err)
				}
			}
			got, err := send("other-refunded")
			if err != nil {
				t.Fatalf("TR-OTHER's refund: %v", err)
			}
			q, err := e.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if q.Refunded != 1500 {
				t.Fatalf("TR-OTHER's refund (%s) was not counted (refunded %d): the payment paid meanwhile holds it", got, q.Refunded)
			}
			if got, err := send("other-paid"); err != nil || got != getpaid.OutcomeSecondTransaction {
				t.Fatalf("TR-OTHER's capture: %s, %v; want %s", got, err, getpaid.OutcomeSecondTransaction)
			}
			if !strings.Contains(logs.String(), "a refund counted as the payment's was of a transaction since reported as a second transaction") {
				t.Fatalf("TR-OTHER's refund counted 15.00 as the payment's (refunded %d), and no ERROR says so now that it is a second transaction:\n%s", q.Refunded, logs)
			}
		})
	}
}

type errOutcome getpaid.Outcome

func (o errOutcome) Error() string { return "outcome " + string(o) }
