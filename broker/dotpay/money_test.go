package dotpay

import (
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// Every currency Dotpay accepts converts exactly both ways.
func TestAmountEveryDefaultCurrency(t *testing.T) {
	t.Parallel()
	for _, c := range DefaultCurrencies() {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			exp, _ := getpaid.CurrencyExponent(c)
			tests := []struct {
				minor int64
				wire  string
			}{{1, "0.01"}, {12345, "123.45"}, {100, "1.00"}, {999999999999999, "9999999999999.99"}}
			if exp == 0 {
				tests = []struct {
					minor int64
					wire  string
				}{{1, "1.00"}, {12345, "12345.00"}, {9999999999999, "9999999999999.00"}}
			}
			for _, tc := range tests {
				m := getpaid.Money{Minor: tc.minor, Currency: c}
				s, err := FormatAmount(m)
				if err != nil || s != tc.wire {
					t.Fatalf("FormatAmount(%v) = %q, %v; want %q", m, s, err, tc.wire)
				}
				back, err := ParseAmount(s, c)
				if err != nil || back != m {
					t.Fatalf("ParseAmount(%q) = %v, %v; want %v", s, back, err, m)
				}
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, currency string
		want         int64
		err          error
	}{
		{"212.35", "PLN", 21235, nil},
		{"212.3", "PLN", 21230, nil},
		{"212", "PLN", 21200, nil},
		{"0.00", "PLN", 0, nil},
		{"007.50", "EUR", 750, nil},
		{"100.00", "JPY", 100, nil},
		{"100", "JPY", 100, nil},
		{"100.50", "JPY", 0, getpaid.ErrInvalidAmount},
		{"1.005", "PLN", 0, getpaid.ErrInvalidAmount},
		{"-1.00", "PLN", 0, getpaid.ErrInvalidAmount},
		{"+1.00", "PLN", 0, getpaid.ErrInvalidAmount},
		{"1,00", "PLN", 0, getpaid.ErrInvalidAmount},
		{"1.", "PLN", 0, getpaid.ErrInvalidAmount},
		{".5", "PLN", 0, getpaid.ErrInvalidAmount},
		{"", "PLN", 0, getpaid.ErrInvalidAmount},
		{" 1.00", "PLN", 0, getpaid.ErrInvalidAmount},
		{"1e3", "PLN", 0, getpaid.ErrInvalidAmount},
		{"１.00", "PLN", 0, getpaid.ErrInvalidAmount},
		{"99999999999999.00", "PLN", 0, getpaid.ErrInvalidAmount},
		{"1.000", "KWD", 0, getpaid.ErrCurrencyNotAccepted},
		{"1.00", "XYZ", 0, getpaid.ErrUnknownCurrency},
		{"1.00", "pln", 0, getpaid.ErrUnknownCurrency},
		{"1.00", "", 0, getpaid.ErrUnknownCurrency},
	}
	for _, tc := range tests {
		m, err := ParseAmount(tc.in, tc.currency)
		if !errors.Is(err, tc.err) || (err == nil && m.Minor != tc.want) {
			t.Errorf("ParseAmount(%q, %s) = %v, %v; want %d, %v", tc.in, tc.currency, m, err, tc.want, tc.err)
		}
	}
}

func TestFormatAmountRefused(t *testing.T) {
	t.Parallel()
	for _, m := range []getpaid.Money{
		{Minor: -1, Currency: "PLN"}, {Minor: 1000, Currency: "KWD"}, {Minor: 1, Currency: "XYZ"},
		{Minor: 1 << 60, Currency: "JPY"},
	} {
		if s, err := FormatAmount(m); err == nil {
			t.Errorf("FormatAmount(%v) = %q", m, s)
		}
	}
}
