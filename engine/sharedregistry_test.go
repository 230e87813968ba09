package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// A registry's brokers learn one environment (getpaid.Provisioner: once):
// a second engine on the same registry at another base URL used to
// re-provision them silently, so the first engine's payments sent buyers
// and the broker's notifications to the second's URLs while its Env still
// named its own. It is refused; the same base URL (a tool beside the
// server) is fine.
func TestSecondEngineOnARegistryAtAnotherBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, second string
		refused      bool
	}{
		{"same base URL", "https://shop.example/payments", false},
		{"same base URL with a trailing slash", "https://shop.example/payments/", false},
		{"another host", "https://other.example/payments", true},
		{"another path", "https://shop.example/pay", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := dummy.New(dummy.Config{Secret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "dummy", Broker: d})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { reg.Close() })
			store := memory.New()
			first, err := engine.New(engine.Config{Store: store, Registry: reg, BaseURL: "https://shop.example/payments"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { first.Close() })
			second, err := engine.New(engine.Config{Store: store, Registry: reg, BaseURL: tc.second})
			if second != nil {
				t.Cleanup(func() { second.Close() })
			}
			if tc.refused {
				if !errors.Is(err, getpaid.ErrInvalidRequest) || !strings.Contains(err.Error(), "https://shop.example/payments") {
					t.Fatalf("second engine: err = %v, want ErrInvalidRequest naming the first base URL", err)
				}
			} else if err != nil {
				t.Fatalf("second engine: %v", err)
			}
			p, err := first.Pay(context.Background(), getpaid.PayRequest{OrderID: "o", Backend: "dummy",
				Amount: getpaid.MustParseMoney("1.00", "PLN")})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(p.Redirect.URL, "https://shop.example/payments/broker/dummy/") {
				t.Fatalf("the first engine's payment goes to %s", p.Redirect.URL)
			}
		})
	}
}
