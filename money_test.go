package getpaid_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, cur string
		want          int64
		err           error
	}{
		{"PLN two digits", "10.00", "PLN", 1000, nil},
		{"PLN one digit", "10.5", "PLN", 1050, nil},
		{"PLN whole", "10", "PLN", 1000, nil},
		{"PLN too many digits", "10.001", "PLN", 0, getpaid.ErrInvalidAmount},
		{"JPY whole", "100", "JPY", 100, nil},
		{"JPY no minor unit", "100.0", "JPY", 0, getpaid.ErrInvalidAmount},
		{"KWD three digits", "1.005", "KWD", 1005, nil},
		{"KWD four digits", "1.0005", "KWD", 0, getpaid.ErrInvalidAmount},
		{"zero", "0.00", "EUR", 0, nil},
		{"leading zeros", "007.10", "EUR", 710, nil},
		{"unknown currency", "1.00", "XYZ", 0, getpaid.ErrUnknownCurrency},
		{"lower-case currency", "1.00", "pln", 0, getpaid.ErrUnknownCurrency},
		{"empty", "", "PLN", 0, getpaid.ErrInvalidAmount},
		{"negative", "-1.00", "PLN", 0, getpaid.ErrInvalidAmount},
		{"plus sign", "+1.00", "PLN", 0, getpaid.ErrInvalidAmount},
		{"exponent", "1e3", "PLN", 0, getpaid.ErrInvalidAmount},
		{"comma", "1,00", "PLN", 0, getpaid.ErrInvalidAmount},
		{"space", " 1.00", "PLN", 0, getpaid.ErrInvalidAmount},
		{"dot only", ".", "PLN", 0, getpaid.ErrInvalidAmount},
		{"no whole part", ".50", "PLN", 0, getpaid.ErrInvalidAmount},
		{"trailing dot", "5.", "PLN", 0, getpaid.ErrInvalidAmount},
		{"two dots", "1.0.0", "PLN", 0, getpaid.ErrInvalidAmount},
		{"overflow", "99999999999999999999", "PLN", 0, getpaid.ErrInvalidAmount},
		{"float rounding trap", "0.29", "PLN", 29, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := getpaid.ParseMoney(tt.in, tt.cur)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseMoney(%q, %q) error = %v, want %v", tt.in, tt.cur, err, tt.err)
				}
				return
			}
			if err != nil || m.Minor != tt.want || m.Currency != tt.cur {
				t.Fatalf("ParseMoney(%q, %q) = %v, %v; want %d", tt.in, tt.cur, m, err, tt.want)
			}
		})
	}
}

// A currency known in upper case (Stripe writes "pln") is refused with the
// code to send instead; other unknown codes are refused plainly.
func TestUnknownCurrencyNamesUpperCase(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ cur, want, not string }{
		{"pln", `money "pln": unknown currency (ISO 4217 codes are upper case: PLN)`, ""},
		{"Eur", `money "Eur": unknown currency (ISO 4217 codes are upper case: EUR)`, ""},
		{"XYZ", `money "XYZ": unknown currency`, "upper case"},
		{"xyz", `money "xyz": unknown currency`, "upper case"},
	} {
		_, perr := getpaid.ParseMoney("1.00", tt.cur)
		_, nerr := getpaid.NewMoney(100, tt.cur)
		for _, err := range []error{perr, nerr} {
			if !errors.Is(err, getpaid.ErrUnknownCurrency) || !strings.HasPrefix(err.Error(), tt.want) || (tt.not != "" && strings.Contains(err.Error(), tt.not)) {
				t.Errorf("%s: error %v; want %q", tt.cur, err, tt.want)
			}
		}
		if got := getpaid.UnknownCurrencyReason(tt.cur); !strings.HasPrefix(got, fmt.Sprintf("unknown currency %q", tt.cur)) || strings.Contains(got, "upper case") != (tt.not == "") {
			t.Errorf("UnknownCurrencyReason(%q) = %q", tt.cur, got)
		}
	}
}

func TestMoneyDecimalRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		minor int64
		cur   string
		want  string
	}{
		{"PLN", 1234, "PLN", "12.34"},
		{"PLN cents only", 5, "PLN", "0.05"},
		{"PLN zero", 0, "PLN", "0.00"},
		{"JPY", 100, "JPY", "100"},
		{"KWD", 1005, "KWD", "1.005"},
		{"KWD fils", 7, "KWD", "0.007"},
		{"CLF four digits", 12345, "CLF", "1.2345"},
		{"negative", -150, "EUR", "-1.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := getpaid.Money{Minor: tt.minor, Currency: tt.cur}
			if got := m.Decimal(); got != tt.want {
				t.Fatalf("Decimal() = %q, want %q", got, tt.want)
			}
			if tt.minor < 0 {
				return
			}
			back, err := getpaid.ParseMoney(m.Decimal(), tt.cur)
			if err != nil || back != m {
				t.Fatalf("round trip %v -> %q -> %v, %v", m, m.Decimal(), back, err)
			}
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			var j getpaid.Money
			if err := json.Unmarshal(b, &j); err != nil || j != m {
				t.Fatalf("JSON round trip %s -> %v, %v", b, j, err)
			}
		})
	}
}

func TestCurrencyExponents(t *testing.T) {
	t.Parallel()
	// Spot checks against ISO 4217 List One.
	want := map[string]int{"PLN": 2, "EUR": 2, "USD": 2, "GBP": 2, "HUF": 2, "JPY": 0, "KRW": 0,
		"ISK": 0, "CLP": 0, "VND": 0, "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3}
	for code, exp := range want {
		if got, ok := getpaid.CurrencyExponent(code); !ok || got != exp {
			t.Errorf("CurrencyExponent(%s) = %d, %v; want %d", code, got, ok, exp)
		}
	}
	if _, ok := getpaid.CurrencyExponent("XAU"); ok {
		t.Error("XAU (gold) must not be payable")
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"10.00", "0", "1.005", "100", "-1", "1e5", ".5", "99999999999999999999", "1.2.3"} {
		f.Add(s, "PLN")
		f.Add(s, "JPY")
		f.Add(s, "KWD")
	}
	f.Fuzz(func(t *testing.T, in, cur string) {
		m, err := getpaid.ParseMoney(in, cur)
		if err != nil {
			return
		}
		if m.Minor < 0 {
			t.Fatalf("ParseMoney(%q) gave negative %d", in, m.Minor)
		}
		back, err := getpaid.ParseMoney(m.Decimal(), cur)
		if err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %v does not round-trip through %q: %v, %v", in, m, m.Decimal(), back, err)
		}
	})
}

// The zero Money (no amount, no currency: a field never set) survives a JSON
// round trip, and null leaves a Money as it is, as encoding/json does for
// its own types; any other amount without a currency is refused.
func TestZeroMoneyJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(getpaid.Money{})
	if err != nil {
		t.Fatal(err)
	}
	var z getpaid.Money
	if err := json.Unmarshal(b, &z); err != nil || z != (getpaid.Money{}) {
		t.Fatalf("zero Money round trip %s -> %v, %v", b, z, err)
	}
	keep := getpaid.MustParseMoney("1.00", "PLN")
	if err := json.Unmarshal([]byte("null"), &keep); err != nil || keep != getpaid.MustParseMoney("1.00", "PLN") {
		t.Fatalf("null -> %v, %v; want it left as it was", keep, err)
	}
	for _, in := range []string{`{"amount":"1.00","currency":""}`, `{"amount":"","currency":""}`, `{"amount":"0.00","currency":"XXX"}`} {
		var m getpaid.Money
		if err := json.Unmarshal([]byte(in), &m); err == nil {
			t.Errorf("%s read as %v; want an error", in, m)
		}
	}
}

// A refused amount says what to write instead: the JSON API and the
// payment form pass the message on to whoever typed it.
func TestParseMoneySaysWhatToWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, cur, want string
	}{
		{"negative", "-1.00", "PLN", "without a sign, such as 10.00"},
		{"a comma", "10,00", "PLN", "such as 10.00"},
		{"a word", "abc", "PLN", "such as 10.00"},
		{"decimals in a currency without them", "10.00", "JPY", "whole units, such as 10"},
		{"too many decimals", "10.001", "PLN", "more than 2 decimal places"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := getpaid.ParseMoney(tt.in, tt.cur)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseMoney(%q, %q) error = %v; want it to say %q", tt.in, tt.cur, err, tt.want)
			}
		})
	}
}
