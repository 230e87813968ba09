package dotpay

import "testing"

// TestOperationNumberForm: a related operation number is taken as Dotpay
// writes one (capital letters, digits, dashes), and refused when it holds
// what a re-split URLC moves into it from the free text after it: a
// getpaid id, a description, an email.
func TestOperationNumberForm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"M1234-5678", true},
		{"M9999-99999", true},
		{"MI-5", true}, // django-payments' fixture
		{"", false},
		{"M1234-5678pay_01jf3", false},
		{"M1234-5678Zamówienie", false},
		{"M1234-5678 ", false},
		{"m1234-5678", false},
		{"M1234_5678", false},
		{"2026-03-01", false}, // the date's digits moved into it
		{"-5", false},
	} {
		if got := operationNumber(tc.in); got != tc.want {
			t.Errorf("operationNumber(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
