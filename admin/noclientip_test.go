package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/admin"
)

// A ClientIP that answers "" (the console mounted in library mode with a
// function that finds no address: a proxy header not set, a peer it cannot
// parse) must not make every operator one client: the console then takes
// the connection's peer, so one address's wrong passwords do not hold back
// another's sign-in, and the audit log says where a try came from.
func TestLoginWithoutClientIPThrottlesByPeer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false, frozen, func(c *admin.Config) {
		c.ClientIP = func(*http.Request) string { return "" }
	})
	login := func(peer, pw string) *httptest.ResponseRecorder {
		t.Helper()
		get := httptest.NewRequest("GET", "/login", nil)
		get.RemoteAddr = peer
		form := httptest.NewRecorder()
		e.console.ServeHTTP(form, get)
		var tok string
		for _, ck := range form.Result().Cookies() {
			if ck.Name == "getpaid_admin_login" {
				tok = ck.Value
			}
		}
		post := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"csrf": {tok}, "name": {"bob"}, "password": {pw}}.Encode()))
		post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		post.AddCookie(&http.Cookie{Name: "getpaid_admin_login", Value: tok})
		post.RemoteAddr = peer
		w := httptest.NewRecorder()
		e.console.ServeHTTP(w, post)
		return w
	}
	for range admin.FreeFailures + 1 {
		login("198.51.100.9:4000", "wrong password")
	}
	if w := login("198.51.100.9:4001", "wrong password"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("the guesser's address: %d, want 429", w.Code)
	}
	if w := login("192.0.2.10:5000", "wrong password"); w.Code != http.StatusUnauthorized {
		t.Fatalf("another operator's address: %d, want her try checked (401), not throttled with the guesser's", w.Code)
	}
	if !strings.Contains(e.audit.String(), `"ip":"192.0.2.10"`) {
		t.Errorf("the audit log does not name the peer:\n%s", e.audit.String())
	}
}
