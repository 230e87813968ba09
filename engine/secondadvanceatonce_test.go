package engine_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// advancesMeet is a store whose writes of advances wait for each other:
// two notifications, each read its payment before either was written.
type advancesMeet struct {
	getpaid.Store
	met  sync.WaitGroup
	mu   sync.Mutex
	seen map[string]bool // the advances whose writes arrived
}

func (s *advancesMeet) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	s.mu.Lock()
	first := strings.HasPrefix(m.EventKey, "fake:advance:") && !s.seen[m.EventKey]
	s.seen[m.EventKey] = true
	s.mu.Unlock()
	if first {
		s.met.Done()
		s.met.Wait()
	}
	return s.Store.UpdatePayment(ctx, id, m)
}

func (s *advancesMeet) AppliedKeys(ctx context.Context, id, prefix string) ([]string, error) {
	return s.Store.(getpaid.AppliedKeyLister).AppliedKeys(ctx, id, prefix)
}

// advanceOf is the fake broker reporting the advance its body names.
type advanceOf struct {
	*fakeBroker
	id string
}

func (b *advanceOf) ParseCallback(_ context.Context, r *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	ext := string(r.Body)
	return &getpaid.Observation{PaymentID: b.id, ExternalID: ext, EventID: "advance:" + ext, Kind: getpaid.KindAdvance,
		Amount: getpaid.MustParseMoney("6.00", "PLN")}, nil
}

// Two transactions holding the same other amount for one payment (a buyer
// who paid 6.00 of 15.00 twice, in two tabs), notified at once: each read
// the payment before either's advance was written, so neither was taken
// for a second transaction, and the one written second changed nothing
// (no_change) and was recorded nowhere, its money at the broker unknown to
// the console, the metric and the log, as before b89f66c. It is now
// recorded once the write shows the payment holds the other's advance.
func TestSameAdvancesAtOnceRecordTheSecond(t *testing.T) {
	t.Parallel()
	b := &advanceOf{fakeBroker: &fakeBroker{}}
	store := &advancesMeet{Store: memory.New(), seen: map[string]bool{}}
	var rec seconds
	e := newEngineConfig(t, b, engine.Config{Store: store, Hooks: engine.Hooks{SecondTransaction: rec.hook}})
	ctx := context.Background()
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-advances-at-once", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	b.id = p.ID
	store.met.Add(2)
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
	q, err := e.Payment(ctx, p.ID)
	if err != nil || q.Advance != 600 {
		t.Fatalf("payment %+v, %v; want an advance of 6.00", q, err)
	}
	other := "TR-1"
	if q.ExternalID == "TR-1" {
		other = "TR-2"
	}
	got, err := e.SecondTransactions(ctx, p.ID)
	if want := []getpaid.SecondTransaction{{ExternalID: other}}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("SecondTransactions = %+v, %v; want %+v: its money is at the broker, recorded nowhere", got, err, want)
	}
	if got, want := rec.list(), []string{"fake/" + p.ID + "/" + other}; !slices.Equal(got, want) {
		t.Fatalf("the hook heard %v, want %v", got, want)
	}
}
