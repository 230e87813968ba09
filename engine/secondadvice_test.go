package engine_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// The ERROR logged for a second transaction told the operator to "refund
// it at the broker" at every broker, also at one whose money getpaid
// confirms (Przelewy24's verify), which gives back by itself what getpaid
// never confirmed: a second transaction, or an advance another
// transaction's took the place of. There the log now says so, and to
// refund it at the broker only if its panel shows it confirmed.
func TestSecondTransactionAdvicePerBroker(t *testing.T) {
	t.Parallel()
	const refund, givesBack = "refund it at the broker or settle it with the buyer", "the broker gives its money back to the buyer itself"
	for _, tt := range []struct {
		name      string
		confirms  bool
		want, not string
	}{
		{"keeps the money", false, refund, givesBack},
		{"confirms", true, givesBack, refund},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fb := &fakeBroker{}
			var b getpaid.Broker = fb
			if tt.confirms {
				b = &countingConfirmer{fakeBroker: fb}
			}
			logs := &lockedBuffer{}
			e := newEngineConfig(t, b, engine.Config{Store: memory.New(), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
			ctx := context.Background()
			p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-advice", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []struct {
				ext    string
				kind   getpaid.Kind
				amount string
				says   string
			}{
				{"TR-1", getpaid.KindAdvance, "6.00", ""},
				{"TR-2", getpaid.KindAdvance, "6.00", "holding the amount the payment's advance holds"},
				{"TR-3", getpaid.KindCaptured, "15.00", "than the one whose money it held for another amount"},
				{"TR-4", getpaid.KindCaptured, "15.00", "a second transaction for a payment already paid"},
			} {
				m := getpaid.MustParseMoney(s.amount, "PLN")
				fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: s.ext, EventID: s.ext, Kind: s.kind, Amount: m, Full: m == p.Amount}
				before := len(logs.String())
				if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
					t.Fatalf("%s of %s: %v", s.kind, s.ext, err)
				}
				if s.says == "" {
					continue
				}
				l := logs.String()[before:]
				if !strings.Contains(l, s.says) || !strings.Contains(l, tt.want) || strings.Contains(l, tt.not) {
					t.Fatalf("%s of %s: the log does not say %q and %q (without %q):\n%s", s.kind, s.ext, s.says, tt.want, tt.not, l)
				}
			}
		})
	}
}
