package dummy

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// Prepare refuses what the dummy does not take, as every broker does: a
// payment started after its currency was taken off the backend's list
// (created under another configuration) is not sent to the paywall.
func TestPrepareRefusesWhatItDoesNotTake(t *testing.T) {
	t.Parallel()
	b, err := New(Config{Secret: "s", Currencies: []string{"PLN", "JPY"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Provision(context.Background(), getpaid.Env{BaseURL: "https://shop.example/payments", Backend: "dummy"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		amount getpaid.Money
		want   error
	}{
		{"accepted PLN", getpaid.MustParseMoney("10.00", "PLN"), nil},
		{"accepted JPY", getpaid.MustParseMoney("100", "JPY"), nil},
		{"a currency not on its list", getpaid.MustParseMoney("1.005", "KWD"), getpaid.ErrCurrencyNotAccepted},
		{"lower-case code", getpaid.Money{Minor: 1000, Currency: "pln"}, getpaid.ErrCurrencyNotAccepted},
		{"nothing", getpaid.Money{Currency: "PLN"}, getpaid.ErrInvalidAmount},
		{"negative", getpaid.Money{Minor: -100, Currency: "PLN"}, getpaid.ErrInvalidAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &getpaid.Payment{ID: "pay_" + tt.amount.Currency, Status: getpaid.StatusNew, Amount: tt.amount}
			prep, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
			if tt.want == nil {
				if err != nil || prep == nil || prep.Redirect == nil {
					t.Fatalf("Prepare(%s) = %v, %v", tt.amount, prep, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || prep != nil {
				t.Fatalf("Prepare(%s) = %v, %v; want %v", tt.amount, prep, err, tt.want)
			}
		})
	}
}

// The broker keeps its own copy of the currencies New checked, as every
// other backend does: a caller reusing the slice after New (another
// backend's config) changes nothing here. It used to keep the caller's
// slice, so KWD written into it after New was taken, past the check.
func TestConfigCurrenciesAreCopied(t *testing.T) {
	t.Parallel()
	currencies := []string{"PLN", "JPY"}
	b, err := New(Config{Secret: "s", Currencies: currencies})
	if err != nil {
		t.Fatal(err)
	}
	currencies[1] = "KWD"
	if got := b.Currencies(); len(got) != 2 || got[0] != "PLN" || got[1] != "JPY" {
		t.Fatalf("Currencies() = %v after the caller's slice changed, want [PLN JPY]", got)
	}
}
