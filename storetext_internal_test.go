package getpaid

import (
	"testing"
	"unicode/utf8"
)

// TestStorableText: a broker's words are kept as they are when they are
// text any store keeps, and each NUL or run of bytes that is not UTF-8 is
// U+FFFD otherwise (PostgreSQL refuses both).
func TestStorableText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"captured (COMPLETED)", "captured (COMPLETED)"},
		{"Nieprawidłowa kwota ąę €", "Nieprawidłowa kwota ąę €"},
		{"a\x00b", "a\uFFFDb"},
		{"\x00\x00", "\uFFFD\uFFFD"},
		{"usługa niedost\xc4", "usługa niedost\uFFFD"},
		{"fee 5 \xe2\x82", "fee 5 \uFFFD"},
		{"\xff\xfe ok", "\uFFFD ok"},
		{"ok \uFFFD kept", "ok \uFFFD kept"},
	} {
		got := storableText(tc.in)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("storableText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
