package edge

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzMalformedQuery: a raw query MalformedQuery lets through is one
// url.ParseQuery reads whole (so no pair is dropped in silence), and one it
// refuses is a field error naming something.
func FuzzMalformedQuery(f *testing.F) {
	for _, s := range []string{"", "status=paid", "status=paid;backend=x", "order_id=o%zz", "a=1&b=2&a=3",
		"%", "=x", "k=", "&&", "x=%E2%82%AC", "limit=5;", "cursor=p.17&limit=1", "%zz=1", "a;b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := MalformedQuery(raw)
		if err == nil {
			if _, perr := url.ParseQuery(raw); perr != nil {
				t.Fatalf("MalformedQuery(%q) let through what url.ParseQuery drops: %v", raw, perr)
			}
			return
		}
		var fe *getpaid.FieldError
		if !errors.As(err, &fe) || !errors.Is(err, getpaid.ErrInvalidRequest) || fe.Reason == "" {
			t.Fatalf("MalformedQuery(%q) = %v, want a field error", raw, err)
		}
		if _, perr := url.ParseQuery(raw); perr == nil && !strings.Contains(raw, ";") {
			t.Fatalf("MalformedQuery(%q) refused a query url.ParseQuery reads whole", raw)
		}
	})
}
