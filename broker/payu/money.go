package payu

import (
	"fmt"
	"strconv"

	"github.com/getpaid-go/getpaid"
)

// checkCurrency accepts currencies PayU's amount convention is known for:
// ISO codes with two minor digits. PayU writes amounts in hundredths of the
// major unit (HUF too: "1000" is 10 HUF), which equals getpaid's minor units
// exactly when the exponent is 2. Zero- and three-digit currencies (JPY, KWD)
// are refused rather than guessed.
func checkCurrency(c string) error {
	exp, ok := getpaid.CurrencyExponent(c)
	if !ok {
		return fmt.Errorf("%w: %q", getpaid.ErrUnknownCurrency, c)
	}
	if exp != 2 {
		return fmt.Errorf("%w: %s has %d minor digits; PayU amounts are hundredths of the major unit", getpaid.ErrCurrencyNotAccepted, c, exp)
	}
	return nil
}

// FormatAmount renders m as PayU's amount string: an integer count of
// hundredths of the major unit ("1000" for 10.00 PLN and for 10 HUF).
func FormatAmount(m getpaid.Money) (string, error) {
	if err := checkCurrency(m.Currency); err != nil {
		return "", err
	}
	if m.Minor < 0 {
		return "", fmt.Errorf("%w: negative amount %s", getpaid.ErrInvalidAmount, m)
	}
	return strconv.FormatInt(m.Minor, 10), nil
}

// ParseAmount converts PayU's amount string in currency to Money, exactly.
// Only plain ASCII digits are accepted: no sign, space, decimal point or
// exponent; at most 18 digits so the value always fits an int64.
func ParseAmount(s, currency string) (getpaid.Money, error) {
	if err := checkCurrency(currency); err != nil {
		return getpaid.Money{}, err
	}
	if s == "" || len(s) > 18 {
		return getpaid.Money{}, fmt.Errorf("%w: PayU amount %q", getpaid.ErrInvalidAmount, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return getpaid.Money{}, fmt.Errorf("%w: PayU amount %q", getpaid.ErrInvalidAmount, s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return getpaid.Money{}, fmt.Errorf("%w: PayU amount %q", getpaid.ErrInvalidAmount, s)
	}
	return getpaid.Money{Minor: n, Currency: currency}, nil
}
