package admin_test

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/memory"
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

// TestPaymentOfABackendNotEnabledSaysWhyNoActionFits: a paid payment of a
// backend removed from the config (or renamed) offered no refund and said
// only "No action fits this payment now.", as if the payment were done
// with. The page says the backend is not enabled and what to do.
func TestPaymentOfABackendNotEnabledSaysWhyNoActionFits(t *testing.T) {
	t.Parallel()
	store := memory.New()
	p := storedPaid(t, store, "o1", "payu_old", "")
	e := newEnv(t, store, false)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	for _, want := range []string{"payu_old is not enabled", "put it back"} {
		if !strings.Contains(b.last, want) {
			t.Errorf("the payment's page does not say %q:\n%s", want, b.last)
		}
	}
}
