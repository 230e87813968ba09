package payu

import (
	"encoding/json"
	"testing"
)

// A refund amount is read as a string of digits or a bare whole JSON
// number; any other number (fraction, exponent, sign) or type is refused.
func TestAmountTextReadsStringOrWholeNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{`"10000"`, "10000", true},
		{`10000`, "10000", true},
		{`null`, "", true},
		{`10.5`, "", false},
		{`1e4`, "", false},
		{`-100`, "", false},
		{`true`, "", false},
		{`"unterminated`, "", false},
	} {
		var a amountText
		err := json.Unmarshal([]byte(tc.in), &a)
		if (err == nil) != tc.ok || string(a) != tc.want {
			t.Errorf("%s: got %q, %v; want %q, ok %v", tc.in, a, err, tc.want, tc.ok)
		}
	}
}
