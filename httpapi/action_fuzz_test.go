package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzActionRequest: the body of a money operation (POST
// /api/v1/payments/{id}/refund {"amount":"5.00"}) is read as the client
// wrote it or refused with a client error. An accepted body is one JSON
// object whose only key, if any, is "amount", with a non-empty string
// value, read as that amount exactly; an accepted body without the key
// (the whole amount) is exactly {}. So no body in which the client named
// an amount (null, "", a number, in another case, twice, next to a typo) is
// ever read as "the whole amount". The committed seeds (testdata/fuzz)
// are an amount, {}, null and empty amounts, a number, a key in another
// case, a key given twice, an unknown key, trailing data and a byte order
// mark before an amount.
func FuzzActionRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		var req actionRequest
		err := decodeStrict(body, &req)
		if err != nil {
			if !errors.Is(err, getpaid.ErrInvalidRequest) && !errors.Is(err, getpaid.ErrInvalidAmount) {
				t.Fatalf("body %q refused with %v: want a client error", body, err)
			}
			return
		}
		// A strict reading: one object, each key once, exactly as given
		// (after a byte order mark, which decodeStrict passes over).
		dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, utf8BOM)))
		tok, derr := dec.Token()
		if derr != nil || tok != json.Delim('{') {
			t.Fatalf("body %q, not an object, accepted as %+v", body, req)
		}
		var keys []string
		var amount any
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatalf("body %q accepted: %v", body, err)
			}
			keys = append(keys, k.(string))
			if err := dec.Decode(&amount); err != nil {
				t.Fatalf("body %q accepted: %v", body, err)
			}
		}
		switch {
		case len(keys) == 0:
			if req.Amount != "" {
				t.Fatalf("body %q, without an amount, read as amount %q", body, req.Amount)
			}
		case len(keys) > 1 || keys[0] != "amount":
			t.Fatalf("body %q with keys %q accepted as %+v", body, keys, req)
		default:
			if s, ok := amount.(string); !ok || s == "" || s != req.Amount {
				t.Fatalf("body %q (amount %#v) read as amount %q", body, amount, req.Amount)
			}
		}
	})
}
