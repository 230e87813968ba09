package httpapi_test

import (
	"context"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// A release or cancel sent with an amount to a backend that cannot do it
// at all is 422 not_supported, as the same request without the amount is
// (and as the Go API says): it was 422 invalid_amount, "release takes no
// amount", as if without the amount it would go through. Where it would go
// through (a backend that can, a cancel of a payment not yet started, the
// cancel's own key again), the amount is still refused, 422 invalid_amount
// naming amount. Nothing is recorded either way.
func TestUnsupportedWithAnAmountSaysUnsupported(t *testing.T) {
	t.Parallel()
	d, err := dummy.New(dummy.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	e := newEnv(t, envOpts{extra: []getpaid.Backend{{Name: "bare", Broker: bare{Broker: d, Provisioner: d}}}})
	prepared := e.create("o-bare-amount", "100.00", "PLN", "bare")
	fresh, err := e.eng.Create(context.Background(), getpaid.PayRequest{OrderID: "o-bare-new", Backend: "bare",
		Amount: getpaid.MustParseMoney("100.00", "PLN"), ReturnURL: "https://shop.example/o"})
	if err != nil {
		t.Fatal(err)
	}
	held := e.chosen("o-held-amount", "100.00", "PLN", "pre_auth")
	for _, tc := range []struct {
		name, id, action, amount string
		hdr                      map[string]string
		status                   int
		code, field              string
	}{
		{"release with an amount", prepared.ID, "release", "10.00", auth, 422, "not_supported", ""},
		{"release with a key and an amount", prepared.ID, "release", "10.00", keyed("r"), 422, "not_supported", ""},
		{"release without an amount", prepared.ID, "release", "", auth, 422, "not_supported", ""},
		{"cancel with an amount", prepared.ID, "cancel", "10.00", auth, 422, "not_supported", ""},
		{"cancel without an amount", prepared.ID, "cancel", "", auth, 422, "not_supported", ""},
		{"release of a hold where it can be done", held.ID, "release", "10.00", auth, 422, "invalid_amount", "amount"},
		{"cancel of a new payment with an amount", fresh.ID, "cancel", "10.00", keyed("c"), 422, "invalid_amount", "amount"},
		{"cancel of a new payment", fresh.ID, "cancel", "", keyed("c"), 200, "", ""},
		{"the cancel again with its key and an amount", fresh.ID, "cancel", "10.00", keyed("c"), 422, "invalid_amount", "amount"},
		{"a cancel with another key and an amount", fresh.ID, "cancel", "10.00", keyed("c2"), 422, "not_supported", ""},
		{"a cancel with another key", fresh.ID, "cancel", "", keyed("c2"), 422, "not_supported", ""},
	} {
		code, a, _ := e.action(tc.id, tc.action, tc.amount, tc.hdr)
		if code != tc.status || a.Error.Code != tc.code || a.Error.Field != tc.field {
			t.Errorf("%s: %d %+v, want %d %q naming %q", tc.name, code, a.Error, tc.status, tc.code, tc.field)
		}
	}
	for _, tc := range []struct {
		id   string
		want getpaid.Status
		ops  int
	}{{prepared.ID, getpaid.StatusPrepared, 0}, {held.ID, getpaid.StatusPreAuth, 0}, {fresh.ID, getpaid.StatusCancelled, 1}} {
		if got := e.payment(tc.id); got.Status != tc.want || len(got.Operations) != tc.ops {
			t.Errorf("%s after refused amounts: %s, %d operations; want %s, %d", tc.id, got.Status, len(got.Operations), tc.want, tc.ops)
		}
	}
}
