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

// bothConfirmed is a broker that confirms each notification it pays with
// (as Przelewy24 verifies), the notification's transaction named by its
// body, and that answers no confirmation before two have been asked for:
// a buyer's two transactions of one payment, notified at once.
type bothConfirmed struct {
	*fakeBroker
	id      string // the payment
	arrived sync.WaitGroup
}

func (b *bothConfirmed) ParseCallback(_ context.Context, r *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	ext := string(r.Body)
	return &getpaid.Observation{PaymentID: b.id, ExternalID: ext, EventID: "trn:" + ext, Kind: getpaid.KindCaptured,
		Amount: getpaid.MustParseMoney("15.00", "PLN"), Full: true}, nil
}

func (b *bothConfirmed) ConfirmCallback(ctx context.Context, _ *getpaid.ConfirmRequest) error {
	b.arrived.Done()
	b.arrived.Wait()
	return nil
}

// Two notifications of a buyer's two transactions of one payment, handled
// at once at a broker whose money getpaid confirms (Przelewy24's verify),
// are both confirmed before either is written: the second written is a
// second transaction whose money getpaid accepted. Its ERROR said "getpaid
// did not confirm it, so the broker gives its money back to the buyer
// itself", and an operator who took the log's word left money with the
// broker that nobody returns. It now says getpaid confirmed it, and to
// refund it at the broker.
func TestSecondTransactionConfirmedAtOnceIsSaidConfirmed(t *testing.T) {
	t.Parallel()
	b := &bothConfirmed{fakeBroker: &fakeBroker{}}
	logs := &lockedBuffer{}
	e := newEngineConfig(t, b, engine.Config{Store: memory.New(), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	ctx := context.Background()
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-at-once", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	b.id = p.ID
	b.arrived.Add(2)
	outcomes := make(chan getpaid.Outcome, 2)
	var wg sync.WaitGroup
	for _, ext := range []string{"TR-1", "TR-2"} {
		wg.Go(func() {
			res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{Body: []byte(ext)})
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
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "a second transaction for a payment already paid") {
			line = l
		}
	}
	if line == "" || strings.Contains(line, "getpaid did not confirm it") || !strings.Contains(line, "refund it at the broker") {
		t.Fatalf("the ERROR of a second transaction getpaid confirmed does not say to refund it:\n%s", line)
	}
}
