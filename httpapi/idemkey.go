package httpapi

import (
	"net/http"

	"github.com/getpaid-go/getpaid"
)

// idempotencyKey reads r's Idempotency-Key header: "" when there is none.
// A header that is there but empty (a key built from an unset variable),
// or given twice, is refused: either would silently drop the protection the
// caller meant to ask for. The key's own rules (printable ASCII, length)
// are the engine's.
func idempotencyKey(r *http.Request) (string, error) {
	vs := r.Header.Values("Idempotency-Key")
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", &getpaid.FieldError{Field: "Idempotency-Key", Reason: "given more than once: send one key", Err: getpaid.ErrInvalidRequest}
	case vs[0] == "":
		return "", &getpaid.FieldError{Field: "Idempotency-Key", Reason: "empty: send a key, or leave the header out", Err: getpaid.ErrInvalidRequest}
	}
	return vs[0], nil
}
