package postgres

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

// isText reports whether PostgreSQL can take s as a text value: valid UTF-8
// without NUL. Every text the store writes is (getpaid.PlanUpdate makes a
// broker's words so), so a lookup by any other string (a %00 or a lone %C5
// in a URL, a broker's "\u0000") finds nothing: the store answers so itself,
// as the other stores do, where passing it on would fail the statement
// (SQLSTATE 22021) and the caller would see an internal error.
func isText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// notFound is getpaid.ErrNotFound for operation name when one of ids is not
// text (see isText), else nil.
func notFound(name string, ids ...string) error {
	for _, id := range ids {
		if !isText(id) {
			return fmt.Errorf("postgres: %s: %w", name, getpaid.ErrNotFound)
		}
	}
	return nil
}

// keyMark starts an applied event key written in hex (see storedKey).
const keyMark = "\uFFFD"

// storedKey is a broker event's key as applied_events keeps it: as it is
// when it is text and does not start with keyMark, else keyMark and the
// hex of its bytes. The mapping is one to one, so two events never share a
// stored key, and an event whose id is not text is still applied once.
func storedKey(k string) string {
	if isText(k) && !strings.HasPrefix(k, keyMark) {
		return k
	}
	return keyMark + hex.EncodeToString([]byte(k))
}
