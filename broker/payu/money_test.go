package payu

import (
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

func TestAmountRoundTripEveryDefaultCurrency(t *testing.T) {
	t.Parallel()
	for _, c := range DefaultCurrencies() {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			m := getpaid.MustParseMoney("1234.56", c)
			s, err := FormatAmount(m)
			if err != nil || s != "123456" {
				t.Fatalf("FormatAmount(%s) = %q, %v; want 123456", m, s, err)
			}
			back, err := ParseAmount(s, c)
			if err != nil || back != m {
				t.Fatalf("ParseAmount(%q) = %v, %v; want %v", s, back, err, m)
			}
		})
	}
}

func TestAmountHUFIsTimes100(t *testing.T) {
	t.Parallel()
	// PayU: "1000 is 10 HUF". getpaid's ISO table gives HUF two minor digits,
	// so 10 HUF is already 1000 minor units and nothing is scaled twice.
	s, err := FormatAmount(getpaid.MustParseMoney("10", "HUF"))
	if err != nil || s != "1000" {
		t.Fatalf("10 HUF = %q, %v; want 1000", s, err)
	}
	m, err := ParseAmount("1000", "HUF")
	if err != nil || m.Decimal() != "10.00" {
		t.Fatalf("ParseAmount(1000 HUF) = %v, %v", m, err)
	}
}

func TestAmountRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, amount, currency string
		want                   error
	}{
		{"JPY has no minor unit", "100", "JPY", getpaid.ErrCurrencyNotAccepted},
		{"KWD has three minor digits", "1000", "KWD", getpaid.ErrCurrencyNotAccepted},
		{"unknown currency", "100", "XYZ", getpaid.ErrUnknownCurrency},
		{"lower-case currency", "100", "pln", getpaid.ErrUnknownCurrency},
		{"empty", "", "PLN", getpaid.ErrInvalidAmount},
		{"negative", "-100", "PLN", getpaid.ErrInvalidAmount},
		{"plus sign", "+100", "PLN", getpaid.ErrInvalidAmount},
		{"decimal point", "10.00", "PLN", getpaid.ErrInvalidAmount},
		{"exponent", "1e3", "PLN", getpaid.ErrInvalidAmount},
		{"space", " 100", "PLN", getpaid.ErrInvalidAmount},
		{"overflow", "9999999999999999999", "PLN", getpaid.ErrInvalidAmount},
		{"unicode digit", "１００", "PLN", getpaid.ErrInvalidAmount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParseAmount(tc.amount, tc.currency); !errors.Is(err, tc.want) {
				t.Fatalf("ParseAmount(%q, %q) err = %v, want %v", tc.amount, tc.currency, err, tc.want)
			}
		})
	}
	if _, err := FormatAmount(getpaid.Money{Minor: 100, Currency: "JPY"}); !errors.Is(err, getpaid.ErrCurrencyNotAccepted) {
		t.Fatalf("FormatAmount(JPY) err = %v", err)
	}
	if _, err := FormatAmount(getpaid.Money{Minor: -1, Currency: "PLN"}); !errors.Is(err, getpaid.ErrInvalidAmount) {
		t.Fatalf("FormatAmount(-0.01 PLN) err = %v", err)
	}
	if m, err := ParseAmount("999999999999999999", "PLN"); err != nil || m.Minor != 999999999999999999 {
		t.Fatalf("largest amount: %v, %v", m, err)
	}
}
