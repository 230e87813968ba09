package httpapi

import (
	"errors"
	"maps"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzListQuery: the query of a listing (GET /api/v1/payments) is read
// whole or refused with a field error. What query accepts is exactly what
// url.ParseQuery reads, every parameter known and given once; an accepted
// limit is a page size the stores take; an accepted cursor is one the
// listing handed out (cursorOut gives it back), and a cursor handed out by
// one listing is given back to it whatever the store's cursor, and refused
// by every other listing. The committed seeds (testdata/fuzz) are a whole
// filter, a cursor of another listing, a repeated parameter, a bad escape,
// a ';', limits out of range and a pair without a name.
func FuzzListQuery(f *testing.F) {
	allowed := []string{"order_id", "status", "backend", "currency", "created_after", "created_before", "limit", "cursor"}
	filters := allowed[:6]
	kinds := []string{cursorPayments, cursorOperations, cursorEvents, cursorDeliveries}
	f.Fuzz(func(t *testing.T, raw, store string) {
		r := httptest.NewRequest("GET", "/api/v1/payments", nil)
		r.URL.RawQuery = raw
		q, err := query(r, allowed...)
		if err != nil {
			var fe *getpaid.FieldError
			// The field is the parameter's name: empty for a pair
			// without one ("=x", seed empty_name), which is refused as
			// unknown too.
			if !errors.As(err, &fe) || !errors.Is(err, getpaid.ErrInvalidRequest) || fe.Reason == "" {
				t.Fatalf("query(%q) = %v, want a field error", raw, err)
			}
		} else {
			parsed, perr := url.ParseQuery(raw)
			if perr != nil || !maps.EqualFunc(parsed, q, slices.Equal) {
				t.Fatalf("query(%q) = %v, url.ParseQuery reads %v, %v", raw, q, parsed, perr)
			}
			for k, vs := range q {
				if !slices.Contains(allowed, k) || len(vs) != 1 {
					t.Fatalf("query(%q) accepted %s=%q", raw, k, vs)
				}
			}
			if emptyFilter(q, filters...) == nil {
				for _, k := range filters {
					if vs, ok := q[k]; ok && vs[0] == "" {
						t.Fatalf("query(%q): the empty filter %s accepted", raw, k)
					}
				}
			}
			if n, err := limit(q); err == nil {
				if v := q.Get("limit"); (v == "") != (n == 0) || (v != "" && (n < 1 || n > getpaid.MaxPageSize)) {
					t.Fatalf("limit %q read as %d", v, n)
				}
				if _, err := (getpaid.PaymentFilter{Limit: n}).PageLimit(); err != nil {
					t.Fatalf("limit %d accepted here, refused by the stores: %v", n, err)
				}
			}
			if c, err := cursorIn(cursorPayments, q); err == nil && cursorOut(cursorPayments, c) != q.Get("cursor") {
				t.Fatalf("cursor %q read as the store's %q, which is handed out as %q", q.Get("cursor"), c, cursorOut(cursorPayments, c))
			}
		}
		if store == "" {
			return
		}
		for _, kind := range kinds {
			given := url.Values{"cursor": {cursorOut(kind, store)}}
			for _, other := range kinds {
				c, err := cursorIn(other, given)
				switch {
				case other == kind && (err != nil || c != store):
					t.Fatalf("listing %s: its own cursor %q for the store's %q read as %q, %v", kind, given.Get("cursor"), store, c, err)
				case other != kind && err == nil:
					t.Fatalf("listing %s took listing %s's cursor %q as the store's %q", other, kind, given.Get("cursor"), c)
				}
			}
		}
	})
}
