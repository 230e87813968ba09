package tracing_test

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// TestAnswersAreNotErrors: a broker repeating a notification (every broker
// does) and a look-up of an unknown payment are answers the engine expects,
// not failures. Their store spans were marked as errors ("event already
// applied", "not found"), so a tracing backend showed every repeated
// callback as a failed request part. They end with status unset and say
// what they found in getpaid.store.result; a store that fails still sets
// the error status.
func TestAnswersAreNotErrors(t *testing.T) {
	t.Parallel()
	tr, exp := newTracer()
	st := tr.Store(memory.New())
	ctx := context.Background()
	p := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-trace", Backend: "dummy", Status: getpaid.StatusNew,
		Amount: getpaid.MustParseMoney("10.00", "PLN")}
	if _, err := st.CreatePayment(ctx, p, getpaid.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	paid := &getpaid.Observation{PaymentID: p.ID, EventID: "evt-1", Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true, BrokerStatus: "COMPLETED"}
	m := getpaid.Mutation{EventKey: "dummy:evt-1", Cause: paid.Cause(), Apply: func(q *getpaid.Payment) (bool, error) { return getpaid.Apply(q, paid) }}
	if _, err := st.UpdatePayment(ctx, p.ID, m); err != nil {
		t.Fatal(err)
	}
	exp.Reset()
	if _, err := st.UpdatePayment(ctx, p.ID, m); !errors.Is(err, getpaid.ErrDuplicateEvent) {
		t.Fatalf("the repeated event: %v, want ErrDuplicateEvent", err)
	}
	if _, err := st.Payment(ctx, "pay_missing"); !errors.Is(err, getpaid.ErrNotFound) {
		t.Fatalf("an unknown payment: %v, want ErrNotFound", err)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("spans %v, want the repeated update's and the look-up's", names(spans))
	}
	for i, want := range []string{"duplicate_event", "not_found"} {
		s := spans[i]
		if s.Status.Code != codes.Unset {
			t.Errorf("%s: status %v %q, want unset: it is an answer, not a failure", s.Name, s.Status.Code, s.Status.Description)
		}
		if got := attr(s, "getpaid.store.result"); got != want {
			t.Errorf("%s: getpaid.store.result = %q, want %q", s.Name, got, want)
		}
	}

	exp.Reset()
	_, _ = st.UpdatePayment(ctx, p.ID, getpaid.Mutation{Cause: "broken", Apply: func(*getpaid.Payment) (bool, error) { return false, errors.New("disk on fire") }})
	if spans := exp.GetSpans(); len(spans) != 1 || spans[0].Status.Code != codes.Error {
		t.Errorf("a failed store call: spans %+v, want one with the error status", spans)
	}
}

func attr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if a.Key == attribute.Key(key) {
			return a.Value.String()
		}
	}
	return ""
}
