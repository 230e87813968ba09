package httpapi

import (
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// Listings' cursors name their listing. A store's cursor is a position in
// one of its tables; given to another listing it would be read as a
// position in that one's and answer a wrong page without a word. The API
// hands out the store's cursor behind its listing's mark and takes back
// only cursors with that mark.
const (
	cursorPayments   = "p"
	cursorOperations = "o"
	cursorEvents     = "e" // GET /api/v1/events without status or endpoint
	cursorDeliveries = "d" // GET /api/v1/events with status or endpoint
)

// cursorOut is the store's cursor c as listing kind hands it out.
func cursorOut(kind, c string) string {
	if c == "" {
		return ""
	}
	return kind + "." + c
}

// cursorIn is the store's cursor in q's cursor, which listing kind handed out.
func cursorIn(kind string, q url.Values) (string, error) {
	c := q.Get("cursor")
	if c == "" {
		return "", nil
	}
	if rest, ok := strings.CutPrefix(c, kind+"."); ok && rest != "" {
		return rest, nil
	}
	return "", &getpaid.FieldError{Field: "cursor", Err: getpaid.ErrInvalidRequest,
		Reason: "not a cursor of this listing"}
}
