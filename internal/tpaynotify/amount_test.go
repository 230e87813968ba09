package tpaynotify

import (
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// Every currency getpaid knows with two minor digits converts exactly both
// ways; every other one is refused.
func TestAmountEveryCurrency(t *testing.T) {
	t.Parallel()
	taken := 0
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for c := 'A'; c <= 'Z'; c++ {
				code := string([]rune{a, b, c})
				exp, known := getpaid.CurrencyExponent(code)
				if !known || exp != 2 {
					if _, err := FormatAmount(getpaid.Money{Minor: 1, Currency: code}); err == nil {
						t.Errorf("%s (known %v, %d digits) formatted", code, known, exp)
					}
					if _, err := ParseAmount("1", code); err == nil {
						t.Errorf("%s (known %v, %d digits) parsed", code, known, exp)
					}
					continue
				}
				taken++
				for _, minor := range []int64{0, 1, 10, 99, 100, 12345, 999999999999, 92233720368547758} {
					m := getpaid.Money{Minor: minor, Currency: code}
					s, err := FormatAmount(m)
					if err != nil {
						t.Fatalf("%s: %v", m, err)
					}
					back, err := ParseAmount(s, code)
					if err != nil || back != m {
						t.Fatalf("%s -> %q -> %v, %v", m, s, back, err)
					}
				}
			}
		}
	}
	if taken < 100 {
		t.Fatalf("only %d currencies with two minor digits", taken)
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in    string
		minor int64
	}{
		{"0.1", 10}, {"0.10", 10}, {"100.15", 10015}, {"12", 1200}, {"10.500", 1050}, {"007.00", 700},
		{"92233720368547758.07", -1}, {"1.001", -1}, {"-1", -1}, {"+1", -1}, {"1e2", -1}, {" 1", -1},
		{"1,00", -1}, {".5", -1}, {"5.", -1}, {"", -1}, {"0x10", -1}, {"1.0000000000000000000001", -1},
	} {
		m, err := ParseAmount(tt.in, "PLN")
		if tt.minor < 0 {
			if !errors.Is(err, getpaid.ErrInvalidAmount) {
				t.Errorf("%q: %v, %v; want ErrInvalidAmount", tt.in, m, err)
			}
			continue
		}
		if err != nil || m.Minor != tt.minor {
			t.Errorf("%q = %v, %v; want %d", tt.in, m, err, tt.minor)
		}
	}
	if _, err := FormatAmount(getpaid.Money{Minor: -1, Currency: "PLN"}); err == nil {
		t.Error("negative amount formatted")
	}
}
