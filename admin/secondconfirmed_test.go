package admin_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// confirmedAtOnce is the dummy broker confirming each notification it pays
// with (as Przelewy24 verifies), the notification's transaction named by
// its body, answering no confirmation before two have been asked for: a
// buyer's two transactions of one payment, notified at once.
type confirmedAtOnce struct {
	*dummy.Broker
	id      string // the payment
	arrived sync.WaitGroup
}

func (b *confirmedAtOnce) ParseCallback(_ context.Context, r *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	ext := string(r.Body)
	return &getpaid.Observation{PaymentID: b.id, ExternalID: ext, EventID: "trn:" + ext, Kind: getpaid.KindCaptured,
		Amount: getpaid.MustParseMoney("15.00", "PLN"), Full: true}, nil
}

func (b *confirmedAtOnce) ConfirmCallback(context.Context, *getpaid.ConfirmRequest) error {
	b.arrived.Done()
	b.arrived.Wait()
	return nil
}

// TestSecondTransactionConfirmedAtOnce: two notifications of a buyer's two
// transactions of one payment, confirmed at once at a broker whose money
// getpaid confirms (Przelewy24's verify): the one written second is a
// second transaction getpaid confirmed, which the broker keeps. The log
// said so (1558c97), but the payment's page said "getpaid did not confirm
// it, so dummy gives its money back to the buyer itself: nothing to do",
// and an operator who took its word left the buyer's money at the broker.
// The page now says what the log says, from the engine's record.
func TestSecondTransactionConfirmedAtOnce(t *testing.T) {
	t.Parallel()
	var br *confirmedAtOnce
	e := newEnvWith(t, nil, false, func(d *dummy.Broker) getpaid.Broker {
		br = &confirmedAtOnce{Broker: d}
		return br
	})
	ctx := context.Background()
	p, err := e.eng.Pay(ctx, getpaid.PayRequest{OrderID: "o-at-once", Backend: "dummy", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	br.id = p.ID
	br.arrived.Add(2)
	outcomes := make(chan getpaid.Outcome, 2)
	var wg sync.WaitGroup
	for _, ext := range []string{"TR-1", "TR-2"} {
		wg.Go(func() {
			res, err := e.eng.HandleCallback(ctx, "dummy", &getpaid.CallbackRequest{Body: []byte(ext)})
			if err != nil {
				t.Errorf("%s: %v", ext, err)
				return
			}
			outcomes <- res.Outcome
		})
	}
	wg.Wait()
	close(outcomes)
	seen := map[getpaid.Outcome]int{}
	for o := range outcomes {
		seen[o]++
	}
	if seen[getpaid.OutcomeApplied] != 1 || seen[getpaid.OutcomeSecondTransaction] != 1 {
		t.Fatalf("outcomes %v; want one applied, one second_transaction", seen)
	}
	q, err := e.eng.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	second := "TR-1"
	if q.ExternalID == "TR-1" {
		second = "TR-2"
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	want := "<code>" + second + "</code>: getpaid confirmed it (two notifications confirmed at once), so dummy keeps its money: refund it in the broker's panel"
	if !strings.Contains(b.last, want) {
		t.Errorf("the payment's page does not say %q:\n%s", want, b.last)
	}
	if strings.Contains(b.last, "getpaid did not confirm it") {
		t.Errorf("the page says getpaid did not confirm a second transaction it confirmed:\n%s", b.last)
	}
}
