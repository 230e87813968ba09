package engine_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// lockedBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A buyer who paid twice for one payment (a Transferuj form sent twice, two
// Dotpay sessions) leaves the broker holding a second transaction that the
// cumulative capture does not count. It changes nothing, and an operator
// is told, at error level, with both transactions' ids, and by the
// callback's own outcome (second_transaction: the metrics' and the
// console's callbacks by outcome): silently, the merchant never learns it
// owes the buyer a refund.
func TestSecondTransactionOfAPaidPaymentIsReported(t *testing.T) {
	t.Parallel()
	fb := &fakeBroker{}
	e, logs := loggedFakeEngine(t, fb)
	ctx := context.Background()
	p, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-twice", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
	if err != nil {
		t.Fatal(err)
	}
	paid := func(ext, event string) *getpaid.CallbackResult {
		t.Helper()
		fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: ext, EventID: event, Kind: getpaid.KindCaptured,
			Amount: p.Amount, Full: true}
		res, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := paid(p.ExternalID, "first"); res.Outcome != getpaid.OutcomeApplied {
		t.Fatalf("first payment: %s", res.Outcome)
	}
	if res := paid(p.ExternalID, "first-again"); res.Outcome == getpaid.OutcomeApplied || strings.Contains(logs.String(), "second transaction") {
		t.Fatalf("the same transaction again: %s, logs %s", res.Outcome, logs.String())
	}
	res := paid("TR-OTHER", "second")
	if res.Outcome != getpaid.OutcomeSecondTransaction {
		t.Fatalf("a second transaction: outcome %s (payment %+v), want %s: seen beyond the log", res.Outcome, res.Payment, getpaid.OutcomeSecondTransaction)
	}
	if q, _ := e.Payment(ctx, p.ID); q.Captured != 1500 || q.Status != getpaid.StatusPaid {
		t.Fatalf("after the second transaction: %s captured %d", q.Status, q.Captured)
	}
	// The payment's own record names it, after any restart (the console's
	// payment page), and then that the broker gave its money back.
	second := func(want getpaid.SecondTransaction) {
		t.Helper()
		got, err := e.SecondTransactions(ctx, p.ID)
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("SecondTransactions = %+v, %v; want [%+v]", got, err, want)
		}
	}
	second(getpaid.SecondTransaction{ExternalID: "TR-OTHER"})
	if _, err := e.SecondTransactions(ctx, "pay_none"); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("SecondTransactions of no payment: %v, want ErrNotFound", err)
	}
	fb.obs = &getpaid.Observation{PaymentID: p.ID, ExternalID: "TR-OTHER", EventID: "second-refunded", Kind: getpaid.KindRefunded,
		Amount: p.Amount, Full: true}
	if _, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{}); err != nil {
		t.Fatal(err)
	}
	if q, _ := e.Payment(ctx, p.ID); q.Refunded != 0 || q.Status != getpaid.StatusPaid {
		t.Fatalf("the second transaction's refund counted as the payment's: %s refunded %d", q.Status, q.Refunded)
	}
	second(getpaid.SecondTransaction{ExternalID: "TR-OTHER", Refunded: true})
	// The same refund notification again (brokers repeat themselves): a
	// duplicate, nothing counted.
	res2, err := e.HandleCallback(ctx, "fake", &getpaid.CallbackRequest{})
	if err != nil || res2.Outcome != getpaid.OutcomeDuplicate {
		t.Fatalf("the second transaction's refund again: %+v, %v; want a duplicate", res2, err)
	}
	if q, _ := e.Payment(ctx, p.ID); q.Refunded != 0 || q.Status != getpaid.StatusPaid {
		t.Fatalf("the repeated refund counted: %s refunded %d", q.Status, q.Refunded)
	}
	second(getpaid.SecondTransaction{ExternalID: "TR-OTHER", Refunded: true})
	got := logs.String()
	if !strings.Contains(got, `"level":"ERROR"`) || !strings.Contains(got, "second transaction") || !strings.Contains(got, "TR-OTHER") || !strings.Contains(got, p.ExternalID) {
		t.Fatalf("no error naming both transactions:\n%s", got)
	}
}

// loggedFakeEngine is an engine on a memory store with fb as backend
// "fake", logging JSON into the buffer it returns.
func loggedFakeEngine(t *testing.T, fb *fakeBroker) (*engine.Engine, *lockedBuffer) {
	t.Helper()
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: fb})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	e, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay",
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, logs
}
