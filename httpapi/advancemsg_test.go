package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// overAdvancing is the dummy broker reporting every payment the buyer pays
// as an advance of amount: money the broker holds that does not match the
// payment (a Tpay overpayment held with tr_error overpay, a Przelewy24
// payment of another amount).
type overAdvancing struct {
	*dummy.Broker
	amount string
}

func (a *overAdvancing) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	o, err := a.Broker.ParseCallback(ctx, req)
	if err != nil || o.Kind != getpaid.KindCaptured {
		return o, err
	}
	o.Kind, o.Amount, o.EventID = getpaid.KindAdvance, getpaid.MustParseMoney(a.amount, o.Amount.Currency), "advance:"+o.EventID
	return o, nil
}

// An advance larger than the payment cannot be accepted: the JSON API says
// so, as the console does, and not only "invalid amount" (an action that
// takes no amount); nothing changes.
func TestAcceptAdvanceMoreThanThePaymentSaysWhy(t *testing.T) {
	t.Parallel()
	d, err := dummy.New(dummy.Config{Secret: secret, Currencies: []string{"CHF"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	e := newEnv(t, envOpts{extra: []getpaid.Backend{{Name: "adv", Broker: &overAdvancing{Broker: d, amount: "15.00"}}}})
	p := e.create("o-over-advance", "10.00", "CHF", "adv")
	body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: "e-over", Status: "paid", Amount: "10.00", Currency: "CHF"})
	resp, out := e.doRaw("POST", "/callback/adv", string(body), map[string]string{"Content-Type": "application/json", dummy.SignatureHeader: sig})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback: %d %s", resp.StatusCode, out)
	}
	if got := e.payment(p.ID); got.Advance != "15.00" || got.Status != getpaid.StatusChargeStarted {
		t.Fatalf("after the callback: %s, advance %s; want charge_started with 15.00", got.Status, got.Advance)
	}
	code, a, _ := e.action(p.ID, "accept_advance", "", auth)
	if code != http.StatusUnprocessableEntity || a.Error.Code != "invalid_amount" ||
		!strings.Contains(a.Error.Message, "15.00 CHF is more than the payment") {
		t.Errorf("accept of an advance above the payment: %d %+v, want 422 invalid_amount saying 15.00 CHF is more than the payment", code, a.Error)
	}
	if got := e.payment(p.ID); got.Advance != "15.00" || got.Captured != "0.00" || got.Status != getpaid.StatusChargeStarted {
		t.Errorf("the refused accept changed the payment: %s, advance %s, captured %s", got.Status, got.Advance, got.Captured)
	}
}
