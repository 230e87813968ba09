package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A hold the broker reports for a payment already cancelled (expired, or
// cancelled unpaid) is not recorded — the payment's hold may have been
// released, and a late repeat must not bring it back — but the buyer's
// money may be held at the broker: it is logged at warning level naming
// the payment and what to do, so an operator can release or capture it
// there. A hold reported while the payment is live logs nothing.
func TestHoldReportedAfterCancelIsLogged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fb := &fakeBroker{}
	e, logs := loggedFakeEngine(t, fb)
	p := create(t, e)
	fb.obs = &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindReleased, EventID: "cancel-" + p.ID, BrokerStatus: "CANCELED"}
	if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
		t.Fatal(err)
	}
	q, _ := e.Payment(ctx, p.ID)
	if q.Status != getpaid.StatusCancelled {
		t.Fatalf("status %s, want cancelled", q.Status)
	}
	fb.obs = &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindLocked, Amount: p.Amount, EventID: "hold-" + p.ID, BrokerStatus: "WAITING_FOR_CONFIRMATION"}
	res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
	if err != nil || res.Outcome != getpaid.OutcomeNoChange {
		t.Fatalf("%+v, %v; want it acknowledged, nothing changed", res, err)
	}
	if r, _ := e.Payment(ctx, p.ID); r.Status != getpaid.StatusCancelled || r.Locked != 0 || r.Version != q.Version {
		t.Fatalf("payment changed: %+v", r)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"level":"WARN"`) && strings.Contains(l, "held") {
			line = l
		}
	}
	if !strings.Contains(line, `"payment":"`+p.ID+`"`) || !strings.Contains(line, "WAITING_FOR_CONFIRMATION") {
		t.Fatalf("no warning naming %s and the broker's status: %s", p.ID, logs.String())
	}

	// A live payment's hold is recorded and logs no such warning.
	live := create(t, e)
	fb.obs = &getpaid.Observation{PaymentID: live.ID, Kind: getpaid.KindLocked, Amount: live.Amount, EventID: "hold-" + live.ID}
	if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"payment":"`+live.ID+`"`) && strings.Contains(l, `"level":"WARN"`) {
			t.Fatalf("a live payment's hold was warned about: %s", l)
		}
	}
}
