package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSignedOutFormIsAPage: a form sent after the session ended (it timed
// out, the operator signed out in another tab, the server restarted) was
// answered with a bare text line, with no way on from it. It is a console
// page now: 401, saying nothing was done, with a link that leads to the
// sign-in form.
func TestSignedOutFormIsAPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	b := e.browser()
	resp := b.do("POST", "/admin/payments/pay_x/do", url.Values{"action": {"refund"}, "csrf": {"stale"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a form without a session: %d, want 401", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want a page", ct)
	}
	for _, want := range []string{"nothing was done", `href="/admin/"`, "/admin/static/style.css"} {
		if !strings.Contains(b.last, want) {
			t.Errorf("the answer lacks %q:\n%s", want, b.last)
		}
	}
}
