package httpapi_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// prefixMounts serve a handler under /gp as serve mounts it (httpapi.Under)
// and as a library user's own mux does (http.StripPrefix).
var prefixMounts = []struct {
	name  string
	mount func(h http.Handler) http.Handler
}{
	{"Under", func(h http.Handler) http.Handler { return httpapi.Under("/gp", h) }},
	{"StripPrefix", func(h http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/gp/", http.StripPrefix("/gp", h))
		return mux
	}},
}

// Served under a base path, the API's Location headers name the resource
// under that path, where a client can fetch it: /gp/api/v1/payments/{id},
// not /api/v1/... outside it. That holds under httpapi.Under (base_url
// https://shop.example/gp, as serve mounts it) and under http.StripPrefix
// in the application's own mux, as the README's library mode mounts it.
func TestLocationUnderAPrefix(t *testing.T) {
	t.Parallel()
	for _, tt := range prefixMounts {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eng := dummyEngine(t, "https://shop.example/gp")
			h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(tt.mount(h))
			t.Cleanup(srv.Close)
			req, _ := http.NewRequest("POST", srv.URL+"/gp/api/v1/payments",
				strings.NewReader(`{"order_id":"o-under","backend":"dummy","amount":"10.00","currency":"PLN","description":"x"}`))
			req.Header.Set("Authorization", "Bearer "+apiKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(loc, "/gp/api/v1/payments/pay_") {
				t.Fatalf("create under /gp: %d, Location %q; want 201 and /gp/api/v1/payments/pay_...", resp.StatusCode, loc)
			}
			req, _ = http.NewRequest("GET", srv.URL+loc, nil)
			req.Header.Set("Authorization", "Bearer "+apiKey)
			if resp, err = brokerhttp.Client(nil, 0, 0).Do(req); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET the Location %s: %d", loc, resp.StatusCode)
			}
		})
	}
}

// Under a prefix, a 404 or 405 names the path the client sent
// (/gp/api/v1/nope), not the one left after the prefix was cut (before:
// "no such route: /api/v1/nope", a path the client never asked for, which
// outside the prefix is itself a 404).
func TestNoRouteNamesThePathSentUnderAPrefix(t *testing.T) {
	t.Parallel()
	requests := []struct {
		method, path string
		want         string
	}{
		{"GET", "/gp/api/v1/nope", `no such route: /gp/api/v1/nope"`},
		{"DELETE", "/gp/api/v1/payments", "method DELETE is not allowed on /gp/api/v1/payments (allowed: GET, HEAD, POST)"},
	}
	for _, m := range prefixMounts {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			eng := dummyEngine(t, "https://shop.example/gp")
			h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(m.mount(h))
			t.Cleanup(srv.Close)
			for _, r := range requests {
				req, _ := http.NewRequest(r.method, srv.URL+r.path, nil)
				req.Header.Set("Authorization", "Bearer "+apiKey)
				resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.Contains(string(body), r.want) {
					t.Errorf("%s %s: %d %s; want it to say %q", r.method, r.path, resp.StatusCode, body, r.want)
				}
			}
		})
	}
}

// Under a base path, a request whose path is not clean (/gp//api/...,
// /gp/api/v1/../...) is redirected to the cleaned path under the prefix,
// as net/http's mux redirects one at the root. Before, the mux behind the
// stripped prefix redirected to /api/v1/backends, outside /gp (a 404).
func TestUnderRedirectsAnUncleanPathInsideThePrefix(t *testing.T) {
	t.Parallel()
	eng := dummyEngine(t, "https://shop.example/gp")
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.Under("/gp", h))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct{ path, want string }{
		{"/gp//api/v1/backends?currency=PLN", "/gp/api/v1/backends?currency=PLN"},
		{"/gp/api/v1/./backends", "/gp/api/v1/backends"},
		{"/gp/api/x/../v1/backends", "/gp/api/v1/backends"},
	} {
		resp, err := client.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != tt.want || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d Location %q nosniff %q; want 307 to %s with the headers", tt.path, resp.StatusCode,
				resp.Header.Get("Location"), resp.Header.Get("X-Content-Type-Options"), tt.want)
		}
	}
}

// Under a base path, the mux's redirect of a subtree's root without its
// slash (/gp/broker/dummy to /gp/broker/dummy/) stays inside the prefix.
// Before, it went to /broker/dummy/, outside /gp: a 404 behind a proxy
// that forwards /gp only, and getpaid's own 404 without one.
func TestUnderRedirectsToASubtreeInsideThePrefix(t *testing.T) {
	t.Parallel()
	eng := dummyEngine(t, "https://shop.example/gp")
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.Under("/gp", h))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/gp/broker/dummy", "/gp/broker/dummy/"},
		{"GET", "/gp/broker/dummy?x=1", "/gp/broker/dummy/?x=1"},
		{"POST", "/gp/broker/dummy", "/gp/broker/dummy/"},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 3 || resp.Header.Get("Location") != tt.want {
			t.Errorf("%s %s: %d Location %q; want a redirect to %s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Location"), tt.want)
		}
	}
}

// Under a base path, a slow body still meets Limits.BodyTimeout: the
// writer Under wraps the answer in (to keep redirects inside the prefix)
// lets the body's read deadline reach the connection.
func TestUnderKeepsTheBodyTimeout(t *testing.T) {
	t.Parallel()
	eng := dummyEngine(t, "https://shop.example/gp")
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}, Limits: httpapi.Limits{BodyTimeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.Under("/gp", h))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/gp/callback/dummy", "/gp/broker/dummy/choose"} {
		c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(c, "POST "+path+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\na=")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil {
			t.Fatalf("%s: no answer (%v): the body timeout did not reach the connection", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("%s: %d, want 408", path, resp.StatusCode)
		}
	}
}

// Under a base path, a path that reaches the prefix only once unescaped
// (/gp%2fapi/..., /%67p/...) is not under it: 404 in the API's shape, with
// the security headers. Before, /gp%2fapi/v1/backends was redirected to
// /gp/%252fapi/v1/backends (a path nobody serves), and /%67p/... got
// net/http's plain 404; served by serve's own mux (the console's), neither
// carried the headers.
func TestUnderRefusesAPrefixReachedOnlyUnescaped(t *testing.T) {
	t.Parallel()
	eng := dummyEngine(t, "https://shop.example/gp")
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}})
	if err != nil {
		t.Fatal(err)
	}
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	client := &http.Client{Transport: brokerhttp.OwnTransport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, inner := range []struct {
		name string
		h    http.Handler
	}{{"httpapi", h}, {"a handler setting no headers", plain}} {
		srv := httptest.NewServer(httpapi.Under("/gp", inner.h))
		t.Cleanup(srv.Close)
		for _, path := range []string{"/gp%2fapi/v1/backends", "/gp%2Fapi/v1/backends", "/%67p/api/v1/backends"} {
			resp, err := client.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"not_found"`) ||
				resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: GET %s: %d Location %q CSP %q: %s; want the API's 404 with the headers", inner.name, path,
					resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Security-Policy"), body)
			}
		}
	}
}

// A base URL whose path needs escaping is written escaped (engine.New
// refuses "/my payments": "write it /my%20payments"), and serve mounts
// Under with that escaped path. Requests a client sends under it are
// served, and the Location of what they create can be fetched. Before,
// Under compared the escaped prefix with the unescaped path (and
// http.StripPrefix cut it from the unescaped path): every request under
// /my%20payments/ was answered 404.
func TestUnderAnEscapedPrefix(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ prefix, other string }{
		{"/my%20payments", "/my%20payment%73"},
		{"/p%C5%82atno%C5%9Bci", "/p%C5%82atno%C5%9Bc%69"},
		{"/shop/a%2Fb", "/shop/a/b"},
	} {
		prefix := tt.prefix
		t.Run(prefix, func(t *testing.T) {
			t.Parallel()
			eng := dummyEngine(t, "https://shop.example"+prefix)
			h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(httpapi.Under(prefix, h))
			t.Cleanup(srv.Close)
			req, _ := http.NewRequest("POST", srv.URL+prefix+"/api/v1/payments",
				strings.NewReader(`{"order_id":"o-esc","backend":"dummy","amount":"10.00","currency":"PLN","description":"x"}`))
			req.Header.Set("Authorization", "Bearer "+apiKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(loc, prefix+"/api/v1/payments/pay_") {
				t.Fatalf("create under %s: %d, Location %q: %s; want 201 and %s/api/v1/payments/pay_...", prefix, resp.StatusCode, loc, body, prefix)
			}
			req, _ = http.NewRequest("GET", srv.URL+loc, nil)
			req.Header.Set("Authorization", "Bearer "+apiKey)
			if resp, err = brokerhttp.Client(nil, 0, 0).Do(req); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET the Location %s: %d", loc, resp.StatusCode)
			}
			// The same path escaped otherwise stays outside, as /%67p/ does.
			resp, err = http.Get(srv.URL + tt.other + "/api/v1/backends")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s/api/v1/backends: %d; want 404", tt.other, resp.StatusCode)
			}
		})
	}
}
