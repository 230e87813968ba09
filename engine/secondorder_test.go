package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A second transaction's refund (a CHARGEBACK, a Dotpay complaint) can be
// delivered before that transaction's own paid notification (the broker's
// retry of a notification getpaid could not take, URLCs sent at once).
// Nothing then says it is a second transaction's, and it counts as the
// payment's. When the paid notification follows and the transaction is
// reported as a second one, the console asked the operator to refund it:
// money the broker had already given back, refunded twice. It now says
// that money went back, and the log says the refund counted was the
// second transaction's.
func TestSecondTransactionRefundedBeforeItsCapture(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e, logs := loggedFakeEngine(t, fb)
	ctx := context.Background()
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-twice", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	send := func(ext, event string, kind getpaid.Kind) getpaid.Outcome {
		t.Helper()
		fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: event, Kind: kind, Amount: p.Amount, Full: true}
		res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
		if err != nil {
			t.Fatalf("%s of %s: %v", kind, ext, err)
		}
		return res.Outcome
	}
	if got := send(p.ExternalID, "paid", getpaid.KindCaptured); got != getpaid.OutcomeApplied {
		t.Fatalf("paying: %s", got)
	}
	send("TR-OTHER", "other-refunded", getpaid.KindRefunded)
	if got, err := e.SecondTransactions(ctx, p.ID); err != nil || len(got) != 0 {
		t.Fatalf("SecondTransactions before the capture = %+v, %v; want none yet", got, err)
	}
	if got := send("TR-OTHER", "other-paid", getpaid.KindCaptured); got != getpaid.OutcomeSecondTransaction {
		t.Fatalf("the second transaction's capture: %s, want %s", got, getpaid.OutcomeSecondTransaction)
	}
	want := getpaid.SecondTransaction{ExternalID: "TR-OTHER", Refunded: true}
	if got, err := e.SecondTransactions(ctx, p.ID); err != nil || len(got) != 1 || got[0] != want {
		t.Fatalf("SecondTransactions = %+v, %v; want [%+v]: the operator is asked to refund it again", got, err, want)
	}
	if l := logs.String(); !strings.Contains(l, "a refund counted as the payment's was of a transaction since reported as a second transaction") {
		t.Fatalf("nothing says the refund counted was the second transaction's:\n%s", l)
	}
}

// A payment's own transaction is never listed as a second one of it,
// whatever was recorded: a transaction whose advance another's capture
// was to clear is recorded before that capture is written, and an
// operator may accept the advance instead (the capture then refused).
func TestOwnTransactionNeverListedAsSecond(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	st := memory.New()
	e := newEngine(t, fb, st)
	ctx := context.Background()
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-own", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{p.ExternalID, "TR-OTHER"} {
		if _, err := st.UpdatePayment(ctx, p.ID, getpaid.Mutation{EventKey: "fake/second-transaction:" + ext,
			Apply: func(*getpaid.Payment) (bool, error) { return false, nil }}); err != nil {
			t.Fatal(err)
		}
	}
	want := []getpaid.SecondTransaction{{ExternalID: "TR-OTHER"}}
	if got, err := e.SecondTransactions(ctx, p.ID); err != nil || !slices.Equal(got, want) {
		t.Fatalf("SecondTransactions = %+v, %v; want %+v", got, err, want)
	}
}

// A second transaction's refund reported after its capture is not counted
// (the payment's money did not go back), and its capture reported again
// under another event id (a poll after the notification) says nothing of
// a refund counted as the payment's: none was. The error an operator acts
// on (the payment's refunded total wrong) is for a refund that came first.
func TestSecondTransactionReportedAgainAfterItsRefund(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e, logs := loggedFakeEngine(t, fb)
	ctx := context.Background()
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-again", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	send := func(ext, event string, kind getpaid.Kind) getpaid.Outcome {
		t.Helper()
		fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: event, Kind: kind, Amount: p.Amount, Full: true}
		res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
		if err != nil {
			t.Fatalf("%s of %s: %v", kind, ext, err)
		}
		return res.Outcome
	}
	for _, s := range []struct {
		ext, event string
		kind       getpaid.Kind
		want       getpaid.Outcome
	}{
		{p.ExternalID, "paid", getpaid.KindCaptured, getpaid.OutcomeApplied},
		{"TR-OTHER", "other-paid", getpaid.KindCaptured, getpaid.OutcomeSecondTransaction},
		{"TR-OTHER", "other-refunded", getpaid.KindRefunded, getpaid.OutcomeNoChange},
		{"TR-OTHER", "poll:other-paid", getpaid.KindCaptured, getpaid.OutcomeSecondTransaction},
	} {
		if got := send(s.ext, s.event, s.kind); got != s.want {
			t.Fatalf("%s of %s (%s): %s, want %s", s.kind, s.ext, s.event, got, s.want)
		}
	}
	if q, err := e.Payment(ctx, p.ID); err != nil || q.Refunded != 0 || q.Status != getpaid.StatusPaid {
		t.Fatalf("payment %+v, %v; want paid, nothing refunded", q, err)
	}
	if l := logs.String(); strings.Contains(l, "a refund counted as the payment's") {
		t.Fatalf("the log says a refund counted as the payment's, none did:\n%s", l)
	}
}
