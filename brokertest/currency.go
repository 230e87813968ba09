package brokertest

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// currencyless is the wrong-currency case of a broker whose notifications
// name no currency (Harness.NotificationHasNoCurrency): a notification that
// differs from a valid one in its currency alone cannot exist, so what keeps
// another currency out is checked instead. A payment in other is refused
// before anything reaches the broker, by the engine and by the backend's own
// Prepare; a genuine notification is read in the account's currency and
// applies to p.
func currencyless(t *testing.T, h *Harness, e *env, p *getpaid.Payment, other string) {
	t.Helper()
	ctx := context.Background()
	if got := h.Broker.Currencies(); len(got) != 1 || got[0] != h.Amount.Currency {
		t.Fatalf("a backend whose notifications name no currency accepts %v; it must take exactly its account's %s", got, h.Amount.Currency)
	}
	wrong := getpaid.Money{Minor: h.Amount.Minor, Currency: other}
	if _, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "currency-other", Backend: h.Name, Amount: wrong,
		Description: "other currency", Buyer: getpaid.Buyer{Email: "buyer@example.com"}}); !errors.Is(err, getpaid.ErrCurrencyNotAccepted) {
		t.Fatalf("a payment in %s: err = %v, want ErrCurrencyNotAccepted", other, err)
	}
	q := p.Clone()
	q.Amount = wrong
	if _, err := h.Broker.Prepare(ctx, &getpaid.PrepareRequest{Payment: q}); !errors.Is(err, getpaid.ErrCurrencyNotAccepted) {
		t.Fatalf("Prepare of a payment in %s: err = %v, want ErrCurrencyNotAccepted", other, err)
	}
	req, err := h.PaidNotification(p, h.Amount)
	if err != nil {
		t.Fatal(err)
	}
	o, err := h.Broker.ParseCallback(ctx, req)
	if err != nil {
		t.Fatalf("a genuine notification: %v", err)
	}
	if o.Amount.Currency != h.Amount.Currency {
		t.Fatalf("a genuine notification read in %s, the account's currency is %s", o.Amount.Currency, h.Amount.Currency)
	}
	if changed, err := getpaid.Apply(p.Clone(), o); !changed || err != nil {
		t.Fatalf("a genuine notification does not apply: %v %v", changed, err)
	}
	e.unchanged(t, p, 1)
}
