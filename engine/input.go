package engine

import (
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

// Limits of a payment request's text fields, in characters (Unicode code
// points, what utf8.RuneCountInString counts), not bytes.
const (
	MaxOrderID     = 128
	MaxDescription = 1024
	MaxReturnURL   = 2048
	MaxEmail       = 254 // an SMTP path's limit, without its angle brackets
	MaxName        = 100 // buyer's first and last name, each
	MaxPhone       = 32
	// MaxIdempotencyKey bounds a money operation's idempotency key (a UUID
	// is 36 characters).
	MaxIdempotencyKey = 255
)

// checkIdempotencyKey refuses a key longer than MaxIdempotencyKey or with a
// character outside printable ASCII (space to tilde, what an HTTP header
// carries unchanged); "" (no key) is for the caller to judge.
func checkIdempotencyKey(k string) error {
	bad := func(reason string) error {
		return &getpaid.FieldError{Field: "Idempotency-Key", Reason: reason, Err: getpaid.ErrInvalidRequest}
	}
	// Characters first: once they are all ASCII, a byte is a character and
	// the length below counts what the caller sees.
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < ' ' || c > '~' {
			return bad(fmt.Sprintf("printable ASCII only (byte %#02x at %d)", c, i))
		}
	}
	if len(k) > MaxIdempotencyKey {
		return bad(fmt.Sprintf("at most %d characters (got %d)", MaxIdempotencyKey, len(k)))
	}
	return nil
}

// checkText refuses s for field when it is not valid UTF-8, holds a control
// character (NUL, CR, LF, tab, DEL, C1 controls) or a line or paragraph
// separator, or is longer than max characters.
func checkText(field, s string, max int) error {
	bad := func(reason string) error {
		return &getpaid.FieldError{Field: field, Reason: reason, Err: getpaid.ErrInvalidRequest}
	}
	if !utf8.ValidString(s) {
		return bad("not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return bad(fmt.Sprintf("at most %d characters (got %d)", max, n))
	}
	for i, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return bad(fmt.Sprintf("control character %U at byte %d", r, i))
		}
	}
	return nil
}

// checkOrderID also refuses an empty id and invisible format characters
// (zero-width and bidirectional controls), which make ids look equal that
// are not.
func checkOrderID(s string) error {
	if s == "" {
		return &getpaid.FieldError{Field: "order_id", Reason: fmt.Sprintf("required, at most %d characters", MaxOrderID), Err: getpaid.ErrInvalidRequest}
	}
	if err := checkText("order_id", s, MaxOrderID); err != nil {
		return err
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return &getpaid.FieldError{Field: "order_id", Reason: fmt.Sprintf("invisible character %U", r), Err: getpaid.ErrInvalidRequest}
		}
	}
	if strings.TrimSpace(s) != s {
		// " o1" and "o1" look alike and are two orders.
		return &getpaid.FieldError{Field: "order_id", Reason: "leading or trailing spaces", Err: getpaid.ErrInvalidRequest}
	}
	return nil
}

// checkReturnURL refuses anything but an absolute http(s) URL, blanks
// included.
func checkReturnURL(s string) error {
	if s == "" {
		return nil
	}
	if err := checkText("return_url", s, MaxReturnURL); err != nil {
		return err
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		// Go's parser takes a blank in a path, and the buyer's browser
		// would land on another page than meant (an order id put in
		// unescaped): escape it (url.PathEscape), as the webhook URLs are.
		return &getpaid.FieldError{Field: "return_url", Reason: fmt.Sprintf("a blank at byte %d: a URL has none (escape a path segment with url.PathEscape; a space is %%20)", i), Err: getpaid.ErrInvalidRequest}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		// A host of a port alone (https://:443/o) is none: the buyer's
		// browser, sent there after paying, refuses it (RFC 9110 §4.2.1).
		return &getpaid.FieldError{Field: "return_url", Reason: "must be an absolute http(s) URL", Err: getpaid.ErrInvalidRequest}
	}
	if u.User != nil {
		// The buyer's browser is sent there: credentials would be shown
		// to the buyer and the broker.
		return &getpaid.FieldError{Field: "return_url", Reason: "must not carry a user name or password", Err: getpaid.ErrInvalidRequest}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return &getpaid.FieldError{Field: "return_url", Reason: fmt.Sprintf("port %s out of range", p), Err: getpaid.ErrInvalidRequest}
		}
	}
	return nil
}

// checkClientIP refuses a buyer's address that is not a bare IP address
// ("203.0.113.7", "2001:db8::1"): an http.Request's RemoteAddr with its
// port, a name or a forwarding header's list would reach the broker
// (PayU's customerIp, Tpay's payer.ip) as it is. "" (unknown) is fine.
func checkClientIP(s string) error {
	if s == "" {
		return nil
	}
	if a, err := netip.ParseAddr(s); err != nil || a.Zone() != "" {
		return &getpaid.FieldError{Field: "client_ip", Reason: fmt.Sprintf("want an IP address without a port, e.g. 203.0.113.7 (got %q)", s), Err: getpaid.ErrInvalidRequest}
	}
	return nil
}

// checkBuyer checks each buyer field: text rules and lengths for all, an
// e-mail address's syntax, a phone number's characters, a language's form.
func checkBuyer(b getpaid.Buyer) error {
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"buyer.email", b.Email, MaxEmail}, {"buyer.first_name", b.FirstName, MaxName},
		{"buyer.last_name", b.LastName, MaxName}, {"buyer.phone", b.Phone, MaxPhone},
		{"buyer.language", b.Language, 2},
	} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	bad := func(field, reason string) error {
		return &getpaid.FieldError{Field: field, Reason: reason, Err: getpaid.ErrInvalidRequest}
	}
	if b.Email != "" && !validEmail(b.Email) {
		return bad("buyer.email", "not an e-mail address (want name@domain.example)")
	}
	if b.Phone != "" && !validPhone(b.Phone) {
		return bad("buyer.phone", "not a phone number (digits, spaces, a leading +, and - ( ) . /)")
	}
	if b.Language != "" && !validLanguage(b.Language) {
		return bad("buyer.language", "want a two-letter ISO 639-1 code, e.g. pl")
	}
	return nil
}

// validEmail checks an address's syntax (not that it exists): a bare
// addr-spec as net/mail reads it (no display name, comments or quoting),
// a local part of at most 64 bytes, and a domain name of dot-separated
// labels of letters, digits and hyphens (internationalised letters too),
// with a top-level label that is not all digits. Address literals
// ("[192.0.2.1]") are refused: no broker takes them.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 || strings.HasPrefix(local, `"`) {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || utf8.RuneCountInString(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return strings.TrimFunc(labels[len(labels)-1], unicode.IsDigit) != ""
}

// validPhone accepts digits with the usual separators, at least three
// digits, and a + only in front.
func validPhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case strings.ContainsRune(" -()./", r):
		default:
			return false
		}
	}
	return digits >= 3
}

// validLanguage accepts two ASCII letters (brokers take "pl" and "PL").
func validLanguage(s string) bool {
	if len(s) != 2 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}
