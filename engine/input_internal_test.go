package engine

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

// FuzzCheckInput: whatever text reaches a payment request, an accepted value
// is valid UTF-8 without control characters and within its limit, and no
// input panics.
func FuzzCheckInput(f *testing.F) {
	for _, s := range []string{"o1", "a\x00b", "a\r\nb", "\xff", "ż", "a@b.example", "a@b@c", "+48 123", "pl", "\u202e", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clean := func(max int) bool {
			if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
				return false
			}
			return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' })
		}
		if checkOrderID(s) == nil && (!clean(MaxOrderID) || s == "") {
			t.Fatalf("order id %q accepted", s)
		}
		if checkText("description", s, MaxDescription) == nil && !clean(MaxDescription) {
			t.Fatalf("description %q accepted", s)
		}
		if checkBuyer(getpaid.Buyer{Email: s}) == nil && s != "" && (!clean(MaxEmail) || strings.Count(s, "@") != 1) {
			t.Fatalf("e-mail %q accepted", s)
		}
		if checkBuyer(getpaid.Buyer{Phone: s}) == nil && s != "" && strings.Trim(s, "+0123456789 -()./") != "" {
			t.Fatalf("phone %q accepted", s)
		}
		_ = checkReturnURL(s)
	})
}
