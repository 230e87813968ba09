package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A pending delivery held back behind an earlier event of its payment (a
// consumer gets a payment's events in order) says on the payment's page
// which event it waits for: otherwise it reads as due long ago and never
// tried.
func TestPendingDeliveryNamesWhatItWaitsFor(t *testing.T) {
	t.Parallel()
	store := memory.New()
	e := newEnv(t, store, false)
	e.eng.OnEventNamed("books", func(context.Context, getpaid.Event) error { return errors.New("down") })
	p, err := e.eng.Pay(context.Background(), getpaid.PayRequest{OrderID: "o-waits", Backend: "dummy",
		Amount: getpaid.MustParseMoney("1.00", "PLN"), ReturnURL: "https://shop.example/o"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	if want := "waits for evt_created_" + p.ID; strings.Count(b.last, want) != 1 {
		t.Errorf("the payment's page says %q %d times; want once (its status change's delivery to books):\n%s", want, strings.Count(b.last, want), b.last)
	}
}
