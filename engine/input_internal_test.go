package engine

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

// FuzzCheckInput: whatever text reaches a payment request, an accepted value
// is valid UTF-8 without control characters and within its limit, and no
// input panics. An accepted return URL is an absolute http(s) URL with a
// host, no user name or password, no blank and a port in range (where the
// buyer's browser is sent after paying); an accepted Idempotency-Key is
// printable ASCII within MaxIdempotencyKey; an accepted client IP is a
// bare address without a zone or port.
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
		if checkReturnURL(s) == nil && s != "" {
			u, err := url.Parse(s)
			if !clean(MaxReturnURL) || strings.ContainsFunc(s, unicode.IsSpace) || err != nil ||
				(u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
				t.Fatalf("return URL %q accepted", s)
			}
			if p := u.Port(); p != "" {
				if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
					t.Fatalf("return URL %q with port %q accepted", s, p)
				}
			}
		}
		if checkIdempotencyKey(s) == nil && (len(s) > MaxIdempotencyKey ||
			strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r > '~' })) {
			t.Fatalf("Idempotency-Key %q accepted", s)
		}
		if checkClientIP(s) == nil && s != "" {
			if a, err := netip.ParseAddr(s); err != nil || a.Zone() != "" || a.String() == "" {
				t.Fatalf("client IP %q accepted", s)
			}
		}
	})
}
