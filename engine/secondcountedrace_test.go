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

// beforeWrite is a store that runs then once, before the write of the
// mutation whose event key is key: another notification handled between
// what observe read and the write.
type beforeWrite struct {
	getpaid.Store
	key  string
	once sync.Once
	then func()
}

func (s *beforeWrite) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	if m.EventKey == s.key {
		s.once.Do(s.then)
	}
	return s.Store.UpdatePayment(ctx, id, m)
}

func (s *beforeWrite) AppliedKeys(ctx context.Context, id, prefix string) ([]string, error) {
	return s.Store.(getpaid.AppliedKeyLister).AppliedKeys(ctx, id, prefix)
}

// A refund of another transaction than the payment's (a CHARGEBACK of
// TR-OTHER, 15.00), read against a payment paid 15.00 and refunded
// nothing, so fitting it, was recorded as counted as the payment's
// (second-transaction-refunded:) before its write; the payment's own
// refund of 15.00, written meanwhile by another notification, made the
// write refuse it. When TR-OTHER's capture followed, a second transaction,
// its ERROR said "a refund counted as the payment's was of a transaction
// since reported as a second transaction … the payment's own money did not
// go back with it", though nothing of TR-OTHER's counted: the payment's
// refunded total is its own refund, and an operator was sent to check both
// transactions for nothing (the mirror of 0a39452). The record is now
// written by the write counting the refund, in its transaction; one the
// write refuses is recorded as refused (its money went back, counted
// nowhere).
func TestFittingRefundRefusedMeanwhile(t *testing.T) {
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
			store := &beforeWrite{Store: open(t), key: "fake:other-refunded"}
			logs := &lockedBuffer{}
			e := newEngineConfig(t, b, engine.Config{Store: store, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-fitting-race", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			fact := func(body, ext, event string, kind getpaid.Kind) {
				m := getpaid.MustParseMoney("15.00", "PLN")
				b.facts[body] = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: event, Kind: kind, Amount: m, Full: true}
			}
			fact("paid", p.ExternalID, "paid", getpaid.KindCaptured)
			fact("refunded", p.ExternalID, "refunded", getpaid.KindRefunded)
			fact("other-refunded", "TR-OTHER", "other-refunded", getpaid.KindRefunded)
			fact("other-paid", "TR-OTHER", "other-paid", getpaid.KindCaptured)
			send := func(body string) (getpaid.Outcome, error) {
				res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{Body: []byte(body)})
				if err != nil {
					return "", err
				}
				return res.Outcome, nil
			}
			if got, err := send("paid"); err != nil || got != getpaid.OutcomeApplied {
				t.Fatalf("paying 15.00: %s, %v", got, err)
			}
			store.then = func() {
				// The payment's own refund, by a notification of its own.
				if got, err := send("refunded"); err != nil || got != getpaid.OutcomeApplied {
					t.Errorf("refunding the payment meanwhile: %s, %v", got, err)
				}
			}
			if got, err := send("other-refunded"); err == nil {
				t.Fatalf("TR-OTHER's refund of 15.00 on a payment refunded in full: %s; want it refused", got)
			}
			q, err := e.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if q.Refunded != 1500 {
				t.Fatalf("refunded %d; want the payment's own 1500", q.Refunded)
			}
			if got, err := send("other-paid"); err != nil || got != getpaid.OutcomeSecondTransaction {
				t.Fatalf("TR-OTHER's capture: %s, %v; want %s", got, err, getpaid.OutcomeSecondTransaction)
			}
			if strings.Contains(logs.String(), "a refund counted as the payment's was of a transaction since reported") {
				t.Fatalf("TR-OTHER's refund counted nothing (refused), yet an ERROR says it counted as the payment's:\n%s", logs)
			}
			seconds, err := e.SecondTransactions(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(seconds) != 1 || seconds[0].ExternalID != "TR-OTHER" || !seconds[0].Refunded {
				t.Fatalf("second transactions %+v; want TR-OTHER, its money gone back", seconds)
			}
		})
	}
}
