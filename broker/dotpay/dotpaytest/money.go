package dotpaytest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// Dotpay writes every amount with two decimal places, whatever the
// currency's minor unit ("123.00" JPY). The simulator keeps amounts in
// hundredths of the major unit, as they travel.

// toHundredths converts getpaid money to hundredths of its major unit.
func toHundredths(m getpaid.Money) (int64, error) {
	exp, ok := getpaid.CurrencyExponent(m.Currency)
	switch {
	case !ok:
		return 0, fmt.Errorf("unknown currency %q", m.Currency)
	case exp == 2:
		return m.Minor, nil
	case exp == 0:
		return m.Minor * 100, nil
	}
	return 0, fmt.Errorf("%s cannot be written with two decimal places", m.Currency)
}

// fromHundredths converts hundredths of currency's major unit to money,
// refusing fractions the currency cannot hold.
func fromHundredths(h int64, currency string) (getpaid.Money, error) {
	exp, ok := getpaid.CurrencyExponent(currency)
	switch {
	case !ok:
		return getpaid.Money{}, fmt.Errorf("unknown currency %q", currency)
	case exp == 2:
		return getpaid.Money{Minor: h, Currency: currency}, nil
	case exp == 0 && h%100 == 0:
		return getpaid.Money{Minor: h / 100, Currency: currency}, nil
	}
	return getpaid.Money{}, fmt.Errorf("%d hundredths do not fit %s", h, currency)
}

// wire writes hundredths the way Dotpay does: "12.30".
func wire(h int64) string {
	sign := ""
	if h < 0 {
		sign, h = "-", -h
	}
	return fmt.Sprintf("%s%d.%02d", sign, h/100, h%100)
}

// errTooLarge is parseWire's answer for a well-formed amount with more
// digits than fit: Dotpay calls that too high, not malformed.
var errTooLarge = errors.New("amount too large")

// maxWholeDigits is the most digits before the dot parseWire reads: 15
// digits of hundredths, as getpaid's backend writes them at most.
const maxWholeDigits = 13

// parseWire reads an amount the payment form was given: digits, a dot and
// at most two decimal places, as hundredths. A well-formed amount with more
// than maxWholeDigits before the dot is errTooLarge.
func parseWire(s string) (int64, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || (dot && (frac == "" || len(frac) > 2)) ||
		strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, errors.New("malformed amount")
	}
	if len(strings.TrimLeft(whole, "0")) > maxWholeDigits {
		return 0, errTooLarge
	}
	frac += strings.Repeat("0", 2-len(frac))
	return strconv.ParseInt(whole+frac, 10, 64)
}
