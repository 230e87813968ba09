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

// afterWrite runs then once, after the write with EventKey key committed
// and before its caller goes on.
type afterWrite struct {
	getpaid.Store
	key  string
	once sync.Once
	then func()
}

func (s *afterWrite) UpdatePayment(ctx context.Context, id string, m getpaid.Mutation) (*getpaid.UpdateResult, error) {
	up, err := s.Store.UpdatePayment(ctx, id, m)
	if err == nil && m.EventKey == s.key {
		s.once.Do(s.then)
	}
	return up, err
}

// A refund of TR-OTHER counted as the payment's (read before TR-OTHER was
// known), TR-OTHER's capture handled by a notification of its own after
// the refund's write and before the refund's notification looked whether
// TR-OTHER was a second transaction: both found the other's record, and
// the ERROR "a refund counted as the payment's was of a transaction since
// reported as a second transaction" was logged twice for one refund. It
// is said once.
func TestRefundCountedAsSecondSaidOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := &factsByBody{fakeBroker: &fakeBroker{}, facts: map[string]*getpaid.Observation{}}
	store := &afterWrite{Store: memory.New(), key: "fake:other-refunded"}
	logs := &lockedBuffer{}
	e := newEngineConfig(t, b, engine.Config{Store: store, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-second-once", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	for body, f := range map[string]struct {
		ext  string
		kind getpaid.Kind
	}{"paid": {p.ExternalID, getpaid.KindCaptured}, "other-refunded": {"TR-OTHER", getpaid.KindRefunded}, "other-paid": {"TR-OTHER", getpaid.KindCaptured}} {
		b.facts[body] = &getpaid.Observation{PaymentID: p.ID, ExternalID: f.ext, EventID: body, Kind: f.kind, Amount: getpaid.MustParseMoney("15.00", "PLN"), Full: true}
	}
	send := func(body string) getpaid.Outcome {
		res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{Body: []byte(body)})
		if err != nil {
			t.Errorf("%s: %v", body, err)
			return ""
		}
		return res.Outcome
	}
	if got := send("paid"); got != getpaid.OutcomeApplied {
		t.Fatalf("paying 15.00: %s", got)
	}
	store.then = func() {
		if got := send("other-paid"); got != getpaid.OutcomeSecondTransaction {
			t.Errorf("TR-OTHER's capture meanwhile: %s; want %s", got, getpaid.OutcomeSecondTransaction)
		}
	}
	if got := send("other-refunded"); got != getpaid.OutcomeApplied {
		t.Fatalf("TR-OTHER's refund: %s; want it counted", got)
	}
	if n := strings.Count(logs.String(), "a refund counted as the payment's was of a transaction since reported as a second transaction"); n != 1 {
		t.Errorf("said %d times; want once:\n%s", n, logs)
	}
}
