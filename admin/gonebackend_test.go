package admin_test

import (
	"strings"
	"testing"
)

// TestFilterKeepsAnUnlistedChoice: a listing filtered by a backend or a
// currency no configured backend has now (a backend removed from the
// config, whose payments stay) showed "any" in the filter's select while
// the list was filtered, and searching again from that form dropped the
// filter. The select offers the value filtered by, selected.
func TestFilterKeepsAnUnlistedChoice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/?backend=payu_old&currency=CHF", nil)
	for _, want := range []string{"<option selected>payu_old</option>", "<option selected>CHF</option>"} {
		if !strings.Contains(b.last, want) {
			t.Errorf("the filter form lacks %s:\n%s", want, b.last)
		}
	}
}
