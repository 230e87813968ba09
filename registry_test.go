package getpaid_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// ptrBroker is a backend whose value is a pointer, as every real one is.
type ptrBroker struct{ currencies []string }

func (b *ptrBroker) Currencies() []string { return b.currencies }
func (b *ptrBroker) Prepare(context.Context, *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	return nil, nil
}
func (b *ptrBroker) ParseCallback(context.Context, *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	return nil, nil
}

// A backend whose broker is a nil pointer (payu.New failed and its error
// was dropped, as the README's short snippet drops them) is refused with the
// backend's name; NewRegistry used to panic calling its Currencies.
func TestRegistryRefusesNilBroker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		broker getpaid.Broker
	}{
		{"no broker", nil},
		{"nil pointer broker", (*ptrBroker)(nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := getpaid.NewRegistry(getpaid.Backend{Name: "payu", Broker: tc.broker})
			if err == nil || !strings.Contains(err.Error(), `"payu"`) {
				t.Fatalf("NewRegistry = %v, want an error naming the backend", err)
			}
		})
	}
	if _, err := getpaid.NewRegistry(getpaid.Backend{Name: "payu", Broker: &ptrBroker{currencies: []string{"PLN"}}}); err != nil {
		t.Fatal(err)
	}
}

// One broker value under two names is refused: a broker learns one name
// when provisioned (the last one given), so the payments of the other name
// would carry its callback URL and pages, and their notifications would be
// refused as naming another backend's payment.
func TestRegistryRefusesOneBrokerUnderTwoNames(t *testing.T) {
	t.Parallel()
	shared := &ptrBroker{currencies: []string{"PLN"}}
	tests := []struct {
		name     string
		backends []getpaid.Backend
		wantErr  bool
	}{
		{"one broker, two names", []getpaid.Backend{{Name: "payu_pln", Broker: shared}, {Name: "payu_eur", Broker: shared}}, true},
		{"a broker each", []getpaid.Backend{{Name: "payu_pln", Broker: shared}, {Name: "payu_eur", Broker: &ptrBroker{currencies: []string{"EUR"}}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := getpaid.NewRegistry(tc.backends...)
			if tc.wantErr && (err == nil || !strings.Contains(err.Error(), `"payu_eur"`) || !strings.Contains(err.Error(), `"payu_pln"`)) {
				t.Fatalf("NewRegistry = %v, want an error naming both backends", err)
			}
			if !tc.wantErr && err != nil {
				t.Fatalf("NewRegistry = %v", err)
			}
		})
	}
}

// A malformed backend name is refused saying the whole rule: a lower-case
// letter first and 32 characters at most, not only which characters.
func TestRegistryBackendNameRule(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"1payu", "-payu", "_payu", strings.Repeat("p", 33), "PayU", "payu eur"} {
		_, err := getpaid.NewRegistry(getpaid.Backend{Name: name, Broker: &ptrBroker{currencies: []string{"PLN"}}})
		if err == nil || !strings.Contains(err.Error(), "a lower-case letter first") || !strings.Contains(err.Error(), "32 at most") {
			t.Errorf("name %q: %v; want the rule said whole", name, err)
		}
	}
	for _, name := range []string{"p", "payu_pln", "payu-eur", "p1", strings.Repeat("p", 32)} {
		if _, err := getpaid.NewRegistry(getpaid.Backend{Name: name, Broker: &ptrBroker{currencies: []string{"PLN"}}}); err != nil {
			t.Errorf("name %q: %v", name, err)
		}
	}
}
