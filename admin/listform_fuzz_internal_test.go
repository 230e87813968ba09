package admin

import (
	"net/url"
	"testing"
	"time"
)

// FuzzListForm: the console's payment listing reads its filter form from
// any query (an operator's, or a link pasted from anywhere) strictly, and
// the links it writes (the next page, back to the first) keep the filter:
// a query it reads whole and a filter it takes give dates that are the very
// days written (UTC, the last one inclusive) and a known status, and each
// link, read back, is the same form with its own cursor, read whole. A
// link that lost or changed a filter would show other payments as the
// filtered ones. The committed seeds (testdata/fuzz) are a whole filter,
// dates out of range or loosely written, an order id with blanks, a
// repeated parameter, a bad escape and characters a query must escape.
func FuzzListForm(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw, next string) {
		u := &url.URL{Path: "/", RawQuery: raw}
		form := readListForm(u.Query())
		pf, msg := form.filter()
		if unreadQuery(u) != "" || msg != "" {
			return
		}
		if form.Status != "" && !pf.Status.Valid() {
			t.Fatalf("%q: status %q taken", raw, form.Status)
		}
		if form.From != "" && (pf.CreatedAfter.Location() != time.UTC || pf.CreatedAfter.Format(dateLayout) != form.From) {
			t.Fatalf("%q: first day %q read as %v", raw, form.From, pf.CreatedAfter)
		}
		if form.To != "" && (pf.CreatedBefore.Location() != time.UTC || pf.CreatedBefore.Add(-24*time.Hour).Format(dateLayout) != form.To) {
			t.Fatalf("%q: last day %q read as before %v", raw, form.To, pf.CreatedBefore)
		}
		if pf.OrderID != form.OrderID || pf.Backend != form.Backend || pf.Currency != form.Currency || pf.Cursor != form.Cursor {
			t.Fatalf("%q: form %+v, filter %+v", raw, form, pf)
		}
		for _, cursor := range []string{next, ""} {
			link := form.query(cursor)
			back, err := url.Parse("/" + link)
			if err != nil {
				t.Fatalf("%q: link %q: %v", raw, link, err)
			}
			if m := unreadQuery(back); m != "" {
				t.Fatalf("%q: link %q not read whole: %s", raw, link, m)
			}
			want := form
			want.Cursor = cursor
			if got := readListForm(back.Query()); got != want {
				t.Fatalf("%q: link %q reads %+v, want %+v", raw, link, got, want)
			}
		}
	})
}
