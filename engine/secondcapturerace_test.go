package engine_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
	"github.com/getpaid-go/getpaid/sqlite"
)

// A refund of another transaction than the payment's (a CHARGEBACK of
// TR-OTHER, 15.00), read before TR-OTHER was known (not a second
// transaction, fitting the payment paid 15.00), while TR-OTHER's capture,
// handled meanwhile by a notification of its own, was recorded as a second
// transaction: its markSecond found no record of a counted refund (80d4532
// writes it with the refund's write, not before), and the refund's write
// then counted 15.00 as the payment's refund. The payment read refunded in
// full, its own money never went back, and no ERROR said so (before
// 80d4532, markSecond found the record and said it). The write counting
// such a refund now looks whether the transaction was recorded as a second
// one meanwhile, and says so.
func TestFittingRefundCountedAsSecondMeanwhile(t *testing.T) {
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
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-second-race", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			fact := func(body, ext, event string, kind getpaid.Kind) {
				m := getpaid.MustParseMoney("15.00", "PLN")
				b.facts[body] = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: event, Kind: kind, Amount: m, Full: true}
			}
			fact("paid", p.ExternalID, "paid", getpaid.KindCaptured)
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
				// TR-OTHER's capture, by a notification of its own.
				if got, err := send("other-paid"); err != nil || got != getpaid.OutcomeSecondTransaction {
					t.Errorf("TR-OTHER's capture meanwhile: %s, %v; want %s", got, err, getpaid.OutcomeSecondTransaction)
				}
			}
			if _, err := send("other-refunded"); err != nil {
				t.Fatalf("TR-OTHER's refund: %v", err)
			}
			q, err := e.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if q.Refunded == 0 {
				return // not counted: nothing to say
			}
			if !strings.Contains(logs.String(), "a refund counted as the payment's was of a transaction since reported as a second transaction") {
				t.Fatalf("TR-OTHER's refund counted %d as the payment's, TR-OTHER a second transaction, and no ERROR says so:\n%s", q.Refunded, logs)
			}
		})
	}
}
