package dummy_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/brokertest"
)

// The whole suite again in currencies whose minor unit is not a hundredth:
// the dummy's paywall form, its callbacks and its partial payments carry
// decimal strings in the currency's own digits ("12345" JPY, "12.345"
// KWD), and every amount must come back as the payment's.
func TestConformanceOtherExponents(t *testing.T) {
	t.Parallel()
	for _, amount := range []getpaid.Money{getpaid.MustParseMoney("12345", "JPY"), getpaid.MustParseMoney("12.345", "KWD")} {
		t.Run(amount.Currency, func(t *testing.T) {
			t.Parallel()
			brokertest.Run(t, func(t *testing.T) *brokertest.Harness {
				h := dummyHarness(t, http.MethodGet)
				b, err := dummy.New(dummy.Config{Secret: conformanceSecret, HTTPClient: &http.Client{Timeout: time.Second},
					RetryDelays: []time.Duration{5 * time.Millisecond, 10 * time.Millisecond}, Currencies: []string{"PLN", "EUR", "JPY", "KWD"}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = b.Close() })
				h.Broker, h.Sim, h.Amount = b, paywallBuyer{b, http.MethodGet}, amount
				return h
			})
		})
	}
}
