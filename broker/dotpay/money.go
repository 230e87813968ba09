package dotpay

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// maxHundredths bounds a wire amount: 15 digits of hundredths fit an int64
// with room for the ×100 of currencies without minor units.
const maxHundredths = 999_999_999_999_999

// hundredthsPerMinor is how many hundredths of the major unit one minor unit
// of a currency is: 1 for two-digit currencies, 100 for currencies without a
// minor unit (JPY). Other exponents cannot be written in Dotpay's format.
func hundredthsPerMinor(currency string) (int64, error) {
	exp, ok := getpaid.CurrencyExponent(currency)
	if !ok {
		return 0, fmt.Errorf("%w: %q", getpaid.ErrUnknownCurrency, currency)
	}
	switch exp {
	case 2:
		return 1, nil
	case 0:
		return 100, nil
	}
	return 0, fmt.Errorf("%w: %s has %d minor digits; Dotpay amounts have two decimal places", getpaid.ErrCurrencyNotAccepted, currency, exp)
}

// FormatAmount writes m the way Dotpay takes and sends amounts: a decimal
// string with a dot and exactly two decimal places ("123.00" for 123.00 PLN
// and for 123 JPY).
func FormatAmount(m getpaid.Money) (string, error) {
	per, err := hundredthsPerMinor(m.Currency)
	if err != nil {
		return "", err
	}
	if m.Minor < 0 {
		return "", fmt.Errorf("%w: %s is negative", getpaid.ErrInvalidAmount, m)
	}
	if top := maxHundredths / per; m.Minor > top {
		return "", &getpaid.FieldError{Field: "amount", Reason: fmt.Sprintf("more than Dotpay takes (%s)",
			getpaid.Money{Minor: top, Currency: m.Currency}), Err: getpaid.ErrInvalidAmount}
	}
	h := m.Minor * per
	return fmt.Sprintf("%d.%02d", h/100, h%100), nil
}

// ParseAmount reads one of Dotpay's amounts in currency exactly: ASCII digits,
// optionally a dot and one or two decimal places. A value the currency cannot
// hold ("100.50" JPY) is refused, never rounded.
func ParseAmount(s, currency string) (getpaid.Money, error) {
	per, err := hundredthsPerMinor(currency)
	if err != nil {
		return getpaid.Money{}, err
	}
	bad := func(why string) (getpaid.Money, error) {
		return getpaid.Money{}, fmt.Errorf("%w: Dotpay amount %q: %s", getpaid.ErrInvalidAmount, s, why)
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || (dot && (frac == "" || len(frac) > 2)) || len(whole) > 13 {
		return bad("want digits with up to two decimal places")
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return bad("want digits with up to two decimal places")
			}
		}
	}
	frac += strings.Repeat("0", 2-len(frac))
	h, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || h > maxHundredths {
		return bad("out of range")
	}
	if h%per != 0 {
		return bad(currency + " has no minor unit")
	}
	return getpaid.Money{Minor: h / per, Currency: currency}, nil
}
