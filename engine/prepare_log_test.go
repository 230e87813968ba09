package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// An operator who reads "broker prepare failed" in the log looks the
// payment up: when Pay stored nothing (the broker down), the line names the
// order and says nothing was stored, rather than a payment id that every
// lookup answers "not found"; when an existing payment failed to start, it
// names that payment and its order.
func TestPrepareFailureLogNamesWhatAnOperatorCanFind(t *testing.T) {
	t.Parallel()
	down := &getpaid.BrokerError{Op: "fake: prepare", Status: 503, Err: errors.New("down")}
	for _, tc := range []struct {
		name        string
		start       func(ctx context.Context, e *engine.Engine) error
		wants, nots []string
	}{
		{"pay stores nothing", func(ctx context.Context, e *engine.Engine) error {
			_, err := e.Pay(ctx, getpaid.PayRequest{OrderID: "o-down", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
			return err
		}, []string{`"order":"o-down"`, "nothing stored"}, []string{`"payment":`}},
		{"start of a stored payment", func(ctx context.Context, e *engine.Engine) error {
			p, err := e.Create(ctx, getpaid.PayRequest{OrderID: "o-kept", Backend: "fake", Amount: getpaid.MustParseMoney("15.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Start(ctx, p.ID, "")
			return err
		}, []string{`"order":"o-kept"`, `"payment":"pay_`}, []string{"nothing stored"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, logs := loggedFakeEngine(t, &fakeBroker{err: down})
			if err := tc.start(context.Background(), e); err == nil {
				t.Fatal("a broker down started the payment")
			}
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "broker prepare failed") {
					line = l
				}
			}
			for _, want := range tc.wants {
				if !strings.Contains(line, want) {
					t.Errorf("log line %q does not say %q", line, want)
				}
			}
			for _, not := range tc.nots {
				if strings.Contains(line, not) {
					t.Errorf("log line %q says %q", line, not)
				}
			}
		})
	}
}
