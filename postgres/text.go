package postgres

import (
	"crypto/sha256"
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

// keyMark starts an applied event key kept as a digest (see storedKey).
const keyMark = "\uFFFD"

// maxKeyBytes is the longest event key applied_events keeps as it is: its
// primary key is a b-tree, whose entries PostgreSQL caps at about 2.7 kB
// with the payment id (a longer key could never be written before either).
const maxKeyBytes = 2000

// storedKey is a broker event's key as applied_events keeps it: as it is
// when it is text (see isText), at most maxKeyBytes long and does not start
// with keyMark; else keyMark and the hex SHA-256 of its bytes. So an event
// whose id is not text, or is long, is still applied once, and two events
// share a stored key only if their keys collide under SHA-256.
func storedKey(k string) string {
	if isText(k) && len(k) <= maxKeyBytes && !strings.HasPrefix(k, keyMark) {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return keyMark + hex.EncodeToString(sum[:])
}
