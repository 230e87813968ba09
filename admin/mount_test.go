package admin_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
