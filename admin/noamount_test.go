package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// TestAmountRefusedWhereNoneIsTaken: release, cancel and the other actions
// without an amount field ignored an amount posted to them, so a form
// crafted with "amount=5.00" for a release released the whole 20.00 hold
// (the JSON API refuses the same request with 422). Both the confirmation
// and the action itself now refuse it and change nothing; the page may
// offer the whole release, said as such, without the amount.
func TestAmountRefusedWhereNoneIsTaken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-noamount-1", "20.00", "pre_auth", getpaid.StatusPreAuth)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	csrf := b.csrf()
	for _, step := range []string{"confirm", "do"} {
		resp := b.do("POST", "/admin/payments/"+p.ID+"/"+step, url.Values{"csrf": {csrf}, "action": {"release"}, "amount": {"5.00"}, "key": {"noamount-" + step}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b.last, "takes no amount") {
			t.Errorf("%s of a release with an amount: %d, want 422 saying it takes no amount:\n%s", step, resp.StatusCode, b.last)
		}
		if strings.Contains(b.last, `name="amount"`) {
			t.Errorf("%s: the page carries the amount on:\n%s", step, b.last)
		}
	}
	if q, _ := e.eng.Payment(context.Background(), p.ID); q.Status != getpaid.StatusPreAuth || q.Locked != p.Locked {
		t.Errorf("the payment changed: %s, held %d (was %d)", q.Status, q.Locked, p.Locked)
	}
}
