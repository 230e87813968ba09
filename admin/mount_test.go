package admin_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// TestRedirectsStayUnderThePrefix: mounted by a router that hands the
// console its prefix itself and leaves paths as sent (chi's Mount with
// http.StripPrefix), "/admin" reached the console as an empty path, and
// net/http's ServeMux inside it redirected that, and any path it cleans,
// to a path without the prefix: the operator typing shop.example/admin
// landed on the shop's home page. The console's own redirects keep the
// prefix, and "/admin/static" is not found, as "/admin/static/" is.
func TestRedirectsStayUnderThePrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	srv := httptest.NewServer(http.StripPrefix("/admin", e.console))
	t.Cleanup(srv.Close)
	c := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ path, want string }{
		{"/admin", "/admin/"},
		{"/admin//backends", "/admin/backends"},
		{"/admin/payments/../attention?x=1", "/admin/attention?x=1"},
		{"/admin/static", ""},
	} {
		req, err := http.NewRequest("GET", srv.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque = "//" + req.URL.Host + strings.SplitN(tc.path, "?", 2)[0] // sent as written, not cleaned by the client
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		switch {
		case tc.want == "" && resp.StatusCode != http.StatusNotFound:
			t.Errorf("GET %s: %d to %q, want 404", tc.path, resp.StatusCode, loc)
		case tc.want != "" && (resp.StatusCode/100 != 3 || loc != tc.want):
			t.Errorf("GET %s: %d to %q, want a redirect to %q", tc.path, resp.StatusCode, loc, tc.want)
		}
	}
}

// TestPrefixMustBeAPath: a Prefix written without its leading slash
// ("admin") was taken, and every link and form of the console became
// relative (the sign-in form posted to /admin/admin/login: 404, nobody
// could sign in); one starting with "//" made them links to another host
// ("//admin/" is the host "admin"). New refuses a Prefix that is not a
// plain path, naming it.
func TestPrefixMustBeAPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"", true}, {"/", true}, {"/admin", true}, {"/admin/", true}, {"/shop/ops-1/console_2", true},
		{"admin", false}, {"//admin", false}, {"/shop//admin", false}, {"/shop/../admin", false}, {"/./admin", false},
		{"/admin?x=1", false}, {"/admin#top", false}, {"/my admin", false}, {"/admin%2F", false}, {"/adm\"in", false}, {"/admin;x", false},
	} {
		_, err := admin.New(admin.Config{Service: e.eng, Users: []admin.User{{Name: "alice", PasswordHash: testHash(t)}}, Prefix: tc.prefix})
		if got := err == nil; got != tc.ok {
			t.Errorf("Prefix %q: err = %v, want ok=%v", tc.prefix, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "Prefix") {
			t.Errorf("Prefix %q: %v does not name Prefix", tc.prefix, err)
		}
	}
}
