package getpaid

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Money is an exact amount in a currency: an integer count of the currency's
// minor units (grosze for PLN, yen for JPY, fils for KWD) and an ISO 4217 code.
// It never holds a float. The zero Money has no currency and is not valid.
type Money struct {
	Minor    int64  // amount in minor units
	Currency string // ISO 4217 code, upper case
}

// MaxMinor is the largest amount getpaid takes, in minor units: a
// hundredth of the largest int64, so that an amount a broker writes in
// hundredths of the major unit (Dotpay's "123.00" for 123 JPY) still fits.
// ParseMoney refuses more, and so does a payment request.
const MaxMinor = math.MaxInt64 / 100

// NewMoney returns minor units of currency, checking that the currency is known.
func NewMoney(minor int64, currency string) (Money, error) {
	if !KnownCurrency(currency) {
		return Money{}, &MoneyError{Input: currency, Reason: "unknown currency" + upperCaseHint(currency), Err: ErrUnknownCurrency}
	}
	return Money{Minor: minor, Currency: currency}, nil
}

// ParseMoney parses a decimal amount such as "10.00", "100" or "1.005" in the
// given currency. It is exact: a value with more fraction digits than the
// currency has minor digits is refused ("10.001" PLN), never rounded. Fewer
// digits are fine ("10.5" PLN is 1050 minor units). Signs, exponents, spaces,
// commas and empty parts (".5", "5.") are refused.
func ParseMoney(amount, currency string) (Money, error) {
	exp, ok := CurrencyExponent(currency)
	if !ok {
		return Money{}, &MoneyError{Input: currency, Reason: "unknown currency" + upperCaseHint(currency), Err: ErrUnknownCurrency}
	}
	minor, err := parseDecimal(amount, exp)
	if err != nil {
		return Money{}, err
	}
	return Money{Minor: minor, Currency: currency}, nil
}

// MustParseMoney is ParseMoney for constants in tests and examples; it panics on error.
func MustParseMoney(amount, currency string) Money {
	m, err := ParseMoney(amount, currency)
	if err != nil {
		panic(err)
	}
	return m
}

func parseDecimal(s string, exp int) (int64, error) {
	bad := func(reason string) error {
		return &MoneyError{Input: s, Reason: reason, Err: ErrInvalidAmount}
	}
	if s == "" {
		return 0, bad("empty amount")
	}
	// What to write instead, in this currency's digits: the message
	// reaches whoever typed the amount.
	example := "10"
	if exp > 0 {
		example += "." + strings.Repeat("0", exp)
	}
	if s[0] == '-' || s[0] == '+' {
		return 0, bad("malformed decimal: write the amount without a sign, such as " + example)
	}
	malformed := bad("malformed decimal: write digits with an optional point, such as " + example)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") {
		return 0, malformed
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, malformed
			}
		}
	}
	if len(frac) > exp {
		if exp == 0 {
			return 0, bad("currency has no minor unit: write whole units, such as 10")
		}
		return 0, bad(fmt.Sprintf("more than %d decimal places", exp))
	}
	frac += strings.Repeat("0", exp-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, bad("amount out of range")
	}
	if n > MaxMinor {
		return 0, bad("amount out of range")
	}
	return n, nil
}

// Exponent is the number of minor-unit digits of m's currency (-1 if unknown).
func (m Money) Exponent() int {
	e, ok := CurrencyExponent(m.Currency)
	if !ok {
		return -1
	}
	return e
}

// Decimal formats the amount with exactly the currency's minor digits: "10.00"
// for PLN, "100" for JPY, "1.005" for KWD.
func (m Money) Decimal() string {
	exp := m.Exponent()
	if exp < 0 {
		exp = 2
	}
	if m.Minor == 0 && exp+2 <= len(zeroDecimal) {
		// Most amounts of an answer (captured, refunded, ...) are zero.
		if exp == 0 {
			return "0"
		}
		return zeroDecimal[:exp+2]
	}
	var buf [32]byte
	return string(appendDecimal(buf[:0], m.Minor, exp))
}

// zeroDecimal is zero with up to four minor digits (ISO 4217's most).
const zeroDecimal = "0.0000"

// appendDecimal appends minor with exp minor digits ("12.34" for 1234 and 2).
func appendDecimal(dst []byte, minor int64, exp int) []byte {
	u := uint64(minor)
	if minor < 0 {
		dst = append(dst, '-')
		u = uint64(-minor) // math.MinInt64 too: its magnitude, wrapped
	}
	var buf [20]byte
	d := strconv.AppendUint(buf[:0], u, 10)
	if exp <= 0 {
		return append(dst, d...)
	}
	if len(d) <= exp {
		dst = append(dst, '0', '.')
		for range exp - len(d) {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	}
	dst = append(dst, d[:len(d)-exp]...)
	dst = append(dst, '.')
	return append(dst, d[len(d)-exp:]...)
}

// String formats m as "10.00 PLN".
func (m Money) String() string { return m.Decimal() + " " + m.Currency }

// IsZero reports whether m has no currency and no amount.
func (m Money) IsZero() bool { return m == Money{} }

// SameCurrency reports whether both amounts are in one currency.
func (m Money) SameCurrency(o Money) bool { return m.Currency == o.Currency }

// moneyJSON is Money's JSON shape: the amount as a decimal string, never a number.
type moneyJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// MarshalJSON encodes m as {"amount":"10.00","currency":"PLN"}.
func (m Money) MarshalJSON() ([]byte, error) {
	return json.Marshal(moneyJSON{Amount: m.Decimal(), Currency: m.Currency})
}

// UnmarshalJSON decodes {"amount":"10.00","currency":"PLN"} exactly; the
// zero Money's own form (MarshalJSON of Money{}) is the zero Money, and null
// leaves m as it is.
func (m *Money) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var v moneyJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Currency == "" && v.Amount == (Money{}).Decimal() {
		*m = Money{}
		return nil
	}
	parsed, err := ParseMoney(v.Amount, v.Currency)
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}
