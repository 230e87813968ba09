package tpaynotify

import (
	"fmt"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// Digits is the number of decimal places of every Tpay amount. Tpay formats
// amounts with two (its SDKs use number_format(amount, 2, '.', ”)), so only
// currencies with two minor digits can be taken.
const Digits = 2

// CheckCurrency refuses a currency getpaid does not know or whose minor unit
// is not a hundredth.
func CheckCurrency(code string) error {
	exp, ok := getpaid.CurrencyExponent(code)
	switch {
	case !ok:
		return fmt.Errorf("currency %q is not an ISO 4217 code", code)
	case exp != Digits:
		return fmt.Errorf("currency %s has %d minor digits; Tpay amounts have %d", code, exp, Digits)
	}
	return nil
}

// FormatAmount writes m in Tpay's format: major units with exactly two
// decimal places ("123.45", "0.10"), from the integer minor units, never
// through a float. It refuses negative amounts and currencies without two
// minor digits.
func FormatAmount(m getpaid.Money) (string, error) {
	if err := CheckCurrency(m.Currency); err != nil {
		return "", err
	}
	if m.Minor < 0 {
		return "", fmt.Errorf("negative amount %s", m)
	}
	return m.Decimal(), nil
}

// ParseAmount reads an amount Tpay sent ("123.45", "0.1", "12", "10.500"
// as a JSON number of its API) exactly into minor units of currency; a
// notification's tr_amount and tr_paid must first be spelled as Tpay
// writes them (ParseNotification refuses "10.500" and "010.00"). Digits beyond the second decimal
// place must be zeros: a value that would need rounding is refused, as are
// signs, exponents, spaces, commas and empty parts. It wraps
// getpaid.ErrInvalidAmount or getpaid.ErrUnknownCurrency.
func ParseAmount(s, currency string) (getpaid.Money, error) {
	if err := CheckCurrency(currency); err != nil {
		return getpaid.Money{}, fmt.Errorf("%w: %v", getpaid.ErrUnknownCurrency, err)
	}
	whole, frac, dot := strings.Cut(s, ".")
	if len(frac) > Digits {
		if strings.Trim(frac[Digits:], "0") != "" {
			return getpaid.Money{}, &getpaid.MoneyError{Input: s, Reason: "more than 2 decimal places", Err: getpaid.ErrInvalidAmount}
		}
		frac = frac[:Digits]
	}
	if dot {
		whole += "." + frac
	}
	return getpaid.ParseMoney(whole, currency)
}
