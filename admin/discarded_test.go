package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A delivery discarded (its consumer left the configuration, then "events
// discard") says on the payment's page who discarded it, as events list
// and show do: otherwise the page shows a delivery never sent and no why.
func TestDiscardedDeliveryNamesWho(t *testing.T) {
	t.Parallel()
	store := memory.New()
	before := newEnv(t, store, false)
	before.eng.OnEventNamed("old", func(context.Context, getpaid.Event) error { return errors.New("down") })
	p, err := before.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-discarded", Backend: "dummy",
		Amount: getpaid.MustParseMoney("1.00", "PLN"), ReturnURL: "https://shop.example/o"})
	if err != nil {
		t.Fatal(err)
	}
	if err := before.eng.Close(); err != nil {
		t.Fatal(err)
	}
	after := newEnv(t, store, false)
	if n, err := after.eng.Discard(context.Background(), "listener:old", "bob"); err != nil || n == 0 {
		t.Fatalf("discard: %d, %v", n, err)
	}
	b := after.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	if !strings.Contains(b.last, "discarded by bob: no longer in the configuration") {
		t.Errorf("the payment's page does not say who discarded its deliveries:\n%s", b.last)
	}
}
