package tpay

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// Amount is a Tpay amount on the wire: a JSON number in major units ("amount":
// 123.45), kept as its exact decimal text both ways, never a float.
type Amount string

// NewAmount writes m as a Tpay amount, exactly, with two decimal places.
func NewAmount(m getpaid.Money) (Amount, error) {
	s, err := tpaynotify.FormatAmount(m)
	if err != nil {
		return "", fmt.Errorf("%w: %v", getpaid.ErrInvalidAmount, err)
	}
	return Amount(s), nil
}

// MarshalJSON writes the amount as a JSON number.
func (a Amount) MarshalJSON() ([]byte, error) {
	if a == "" || !json.Valid([]byte(a)) || a[0] == '"' {
		return nil, fmt.Errorf("tpay: amount %q is not a number", string(a))
	}
	return []byte(a), nil
}

// UnmarshalJSON keeps the number's text; a JSON string holding a number and
// null (no amount) are accepted too.
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*a = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Amount(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("tpay: amount %s: %w", b, err)
		}
		*a = Amount(n)
	}
	return nil
}

// Money reads the amount exactly in currency; an absent amount is zero.
// Errors wrap getpaid.ErrInvalidAmount or getpaid.ErrUnknownCurrency.
func (a Amount) Money(currency string) (getpaid.Money, error) {
	if a == "" {
		return getpaid.Money{Currency: currency}, nil
	}
	return tpaynotify.ParseAmount(string(a), currency)
}
