package webhook_test

import (
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/webhook"
)

// A webhook's amounts are decimal strings in the payment currency's own
// digits, zero included: "0" refunded of a yen payment, "0.000" of a dinar
// one, never PLN's "0.00" (the golden payload, in PLN, cannot tell).
func TestPayloadAmountsInTheCurrencysDigits(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		amount                      getpaid.Money
		captured, refunded          int64
		wantAmount, wantCap, wantRf string
	}{
		{getpaid.MustParseMoney("1000", "JPY"), 1000, 0, "1000", "1000", "0"},
		{getpaid.MustParseMoney("1000", "JPY"), 1000, 250, "1000", "1000", "250"},
		{getpaid.MustParseMoney("1.005", "KWD"), 1005, 0, "1.005", "1.005", "0.000"},
		{getpaid.MustParseMoney("1.005", "KWD"), 5, 5, "1.005", "0.005", "0.005"},
		{getpaid.MustParseMoney("12.3456", "CLF"), 0, 0, "12.3456", "0.0000", "0.0000"},
	} {
		p := &getpaid.Payment{ID: "pay_1", OrderID: "o-1", Backend: "yen", Status: getpaid.StatusPaid, Amount: tt.amount,
			Captured: tt.captured, Refunded: tt.refunded, Version: 3}
		for _, ev := range []getpaid.Event{getpaid.NewCreatedEvent(p, at), getpaid.NewStatusEvent(p, getpaid.StatusPrepared, at, "captured"),
			getpaid.NewAmountsEvent(p, at, "refunded")} {
			d := webhook.NewPayload(ev).Data
			if d.Amount != tt.wantAmount || d.Captured != tt.wantCap || d.Refunded != tt.wantRf || d.Currency != tt.amount.Currency {
				t.Errorf("%s of %s captured %d refunded %d: amount %q captured %q refunded %q %s; want %q %q %q %s", ev.Type, tt.amount,
					tt.captured, tt.refunded, d.Amount, d.Captured, d.Refunded, d.Currency, tt.wantAmount, tt.wantCap, tt.wantRf, tt.amount.Currency)
			}
		}
	}
}
