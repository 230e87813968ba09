package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A refund of another transaction than the payment's, refused (more than
// the payment holds: 15.00 back from a payment paid 6.00 so far) and so
// counted nowhere, then that transaction's capture, a second transaction:
// the log said at ERROR that "a refund counted as the payment's" was that
// transaction's and to check both at the broker, though the payment's
// refunded total was right (nothing counted). The console still says the
// broker reported that transaction's money going back; the log no longer
// says a refund of it counted.
func TestRefusedRefundOfASecondTransactionNotSaidCounted(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e, logs := loggedFakeEngine(t, fb)
	ctx := context.Background()
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-refused", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	send := func(ext, event string, kind getpaid.Kind, amount string) (getpaid.Outcome, error) {
		t.Helper()
		m := getpaid.MustParseMoney(amount, "PLN")
		fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: event, Kind: kind, Amount: m, Full: m == p.Amount}
		res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
		if err != nil {
			return "", err
		}
		return res.Outcome, nil
	}
	if got, err := send(p.ExternalID, "paid-part", getpaid.KindCaptured, "6.00"); err != nil || got != getpaid.OutcomeApplied {
		t.Fatalf("paying 6.00: %s, %v", got, err)
	}
	if got, err := send("TR-OTHER", "other-refunded", getpaid.KindRefunded, "15.00"); err == nil {
		t.Fatalf("a refund of 15.00 of a payment holding 6.00: %s, want refused", got)
	}
	if got, err := send("TR-OTHER", "other-paid", getpaid.KindCaptured, "15.00"); err != nil || got != getpaid.OutcomeSecondTransaction {
		t.Fatalf("the second transaction's capture: %s, %v; want %s", got, err, getpaid.OutcomeSecondTransaction)
	}
	if l := logs.String(); strings.Contains(l, "a refund counted as the payment's") {
		t.Fatalf("the log says a refund counted as the payment's, none did:\n%s", l)
	}
	want := []getpaid.SecondTransaction{{ExternalID: "TR-OTHER", Refunded: true}}
	if got, err := e.SecondTransactions(ctx, p.ID); err != nil || !slices.Equal(got, want) {
		t.Fatalf("SecondTransactions = %+v, %v; want %+v: the broker reported its money going back", got, err, want)
	}
	if q, err := e.Payment(ctx, p.ID); err != nil || q.Refunded != 0 || q.Captured != 600 {
		t.Fatalf("payment %+v, %v; want 6.00 captured, nothing refunded", q, err)
	}
}
