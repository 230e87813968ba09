package engine_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// advanceThenPaid is a broker confirming what it pays with as Przelewy24
// does (verify for a capture; an advance, money held for another amount,
// is never verified: verifying is what accepts the money), whose advance's
// confirmation lets the payment's own capture through first: a buyer's two
// transactions of one payment, notified at once.
type advanceThenPaid struct {
	*factsByBody
	once    sync.Once
	paid    func()
	advance bool // an advance was asked to be confirmed
}

func (b *advanceThenPaid) ConfirmCallback(_ context.Context, r *getpaid.ConfirmRequest) error {
	if r.Observation.Kind != getpaid.KindCaptured {
		b.advance = true
		b.once.Do(b.paid)
	}
	return nil
}

// An advance of another transaction (TR-OTHER, 9.00 of 15.00) read against
// a payment not yet paid passes the confirmation step, which confirms
// nothing for an advance (Przelewy24 verifies captures only), while the
// payment's own capture is written: the advance's write finds it a second
// transaction. It was recorded and logged as one getpaid confirmed ("the
// broker keeps its money: refund it"), and the console said so, where the
// broker gives the money of an advance getpaid never accepted back itself.
func TestSecondAdvanceAtOnceIsNotSaidConfirmed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := &advanceThenPaid{factsByBody: &factsByBody{fakeBroker: &fakeBroker{}, facts: map[string]*getpaid.Observation{}}}
	logs := &lockedBuffer{}
	e := newEngineConfig(t, b, engine.Config{Store: memory.New(), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-advance-at-once", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	b.facts["paid"] = &getpaid.Observation{PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "trn:paid", Kind: getpaid.KindCaptured,
		Amount: p.Amount, Full: true, PaymentAmount: p.Amount}
	b.facts["advance"] = &getpaid.Observation{PaymentID: p.ID, ExternalID: "TR-OTHER", EventID: "advance:TR-OTHER", Kind: getpaid.KindAdvance,
		Amount: getpaid.MustParseMoney("9.00", "PLN"), PaymentAmount: p.Amount}
	send := func(body string) (getpaid.Outcome, error) {
		res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{Body: []byte(body)})
		if err != nil {
			return "", err
		}
		return res.Outcome, nil
	}
	b.paid = func() {
		if got, err := send("paid"); err != nil || got != getpaid.OutcomeApplied {
			t.Errorf("the payment's own capture meanwhile: %s, %v", got, err)
		}
	}
	if got, err := send("advance"); err != nil || got != getpaid.OutcomeSecondTransaction {
		t.Fatalf("TR-OTHER's advance: %s, %v; want %s", got, err, getpaid.OutcomeSecondTransaction)
	}
	if !b.advance {
		t.Fatal("the advance was not read against the unpaid payment: the case was not made")
	}
	second, err := e.SecondTransactions(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 1 || second[0].ExternalID != "TR-OTHER" || second[0].Confirmed {
		t.Errorf("second transactions %+v; want TR-OTHER, not confirmed (an advance is never)", second)
	}
	if strings.Contains(logs.String(), "getpaid confirmed it") {
		t.Errorf("the log says getpaid confirmed an advance it never confirms:\n%s", logs)
	}
}
