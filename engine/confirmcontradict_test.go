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

// confirmingFacts is factsByBody confirming what it reports, as
// Przelewy24's verify does.
type confirmingFacts struct{ *factsByBody }

func (confirmingFacts) ConfirmCallback(context.Context, *getpaid.ConfirmRequest) error { return nil }

// A refund resolved by an operator as succeeded, then rejected by a broker
// that confirms notifications (Przelewy24): the rejection changes nothing,
// and is logged for an operator, as at any other broker.
func TestConfirmingBrokerRefundRejectedAfterResolvedLogged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := confirmingFacts{&factsByBody{fakeBroker: &fakeBroker{}, facts: map[string]*getpaid.Observation{}}}
	logs := &lockedBuffer{}
	e := newEngineConfig(t, b, engine.Config{Store: memory.New(), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-rejected-after-resolved", Backend: "fake", Amount: getpaid.MustParseMoney("100.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	send := func(body string) getpaid.Outcome {
		t.Helper()
		res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{Body: []byte(body)})
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return res.Outcome
	}
	b.facts["paid"] = &getpaid.Observation{PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "trn:paid", Kind: getpaid.KindCaptured,
		Amount: p.Amount, Full: true, PaymentAmount: p.Amount}
	if got := send("paid"); got != getpaid.OutcomeApplied {
		t.Fatalf("paid: %s", got)
	}
	res, err := e.Refund(ctx, getpaid.ActionRequest{PaymentID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: res.Operation.ID, As: getpaid.OpSucceeded,
		Note: "the panel shows it done", By: "alice"}); err != nil {
		t.Fatal(err)
	}
	b.facts["rejected"] = &getpaid.Observation{PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "refund:r1:rejected",
		Kind: getpaid.KindRefundFailed, Amount: p.Amount, OperationID: res.Operation.ID, BrokerStatus: "refund rejected"}
	if got := send("rejected"); got != getpaid.OutcomeNoChange {
		t.Errorf("the rejection: %s, want %s", got, getpaid.OutcomeNoChange)
	}
	if got, _ := e.Payment(ctx, p.ID); got.Refunded != 10000 {
		t.Errorf("refunded %d, want 10000 (nothing changed)", got.Refunded)
	}
	if !strings.Contains(logs.String(), "recorded as succeeded was not done") {
		t.Errorf("the broker contradicting the operator's decision is not logged:\n%s", logs)
	}
}
