package edge

import (
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// MalformedQuery names the first pair of a raw query that url.ParseQuery
// would drop (one holding a ';' or a bad %-escape), so that a filter written
// "status=paid;backend=x" is refused rather than read as no filter at all;
// a *getpaid.FieldError wrapping getpaid.ErrInvalidRequest, nil when every
// pair reads.
func MalformedQuery(raw string) error {
	for _, pair := range strings.Split(raw, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if k, _, _ := strings.Cut(key, ";"); k != "" {
			key = k
		}
		if uk, err := url.QueryUnescape(key); err == nil {
			key = uk
		}
		switch _, err := url.ParseQuery(pair); {
		case strings.Contains(pair, ";"):
			return &getpaid.FieldError{Field: key, Reason: "a ';' in the query: separate parameters with &", Err: getpaid.ErrInvalidRequest}
		case err != nil:
			return &getpaid.FieldError{Field: key, Reason: "malformed %-escape in the query", Err: getpaid.ErrInvalidRequest}
		}
	}
	return nil
}
