package main

import (
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// FuzzCheckBaseURL: a base_url the config takes is one every URL getpaid
// makes from it (the callback URL brokers are given, the buyer's return
// URLs) really points under: absolute http(s), a host that is not "every
// interface", a valid port or none, no user, query or fragment; and each
// URL made from it, parsed as a broker or a browser parses it, has the
// same scheme and host and its own path under the base's. The committed
// seeds (testdata/fuzz) are a plain URL, one with a path, an IPv6 host, a
// port alone, a port out of range, a query, a user, escapes, dot segments
// and blanks.
func FuzzCheckBaseURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw, id string) {
		if checkBaseURL(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" {
			t.Fatalf("%q taken: %+v, %v", raw, u, err)
		}
		host := u.Hostname()
		if host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			t.Fatalf("%q taken: host %q, user %v, query %q, fragment %q", raw, host, u.User, u.RawQuery, u.Fragment)
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			t.Fatalf("%q taken: %s is every interface", raw, host)
		}
		if p := u.Port(); p != "" && !validPort(p) {
			t.Fatalf("%q taken with port %q", raw, p)
		}
		env := getpaid.NewEnv("payu", raw, nil)
		base := urlPath(raw)
		for _, made := range []struct{ s, path string }{
			{env.CallbackURL(), getpaid.CallbackPath + "payu"},
			{env.SuccessURL(id), getpaid.SuccessPath + url.PathEscape(id)},
			{env.FailureURL(id), getpaid.FailurePath + url.PathEscape(id)},
		} {
			m, err := url.Parse(made.s)
			if err != nil {
				t.Fatalf("base %q: made %q, which does not parse: %v", raw, made.s, err)
			}
			if m.Scheme != u.Scheme || m.Host != u.Host || m.User != nil || m.RawQuery != "" || m.Fragment != "" {
				t.Fatalf("base %q: made %q, which points elsewhere (%s %s)", raw, made.s, m.Scheme, m.Host)
			}
			if got := m.EscapedPath(); got != base+made.path || !strings.HasPrefix(got, base+"/") {
				t.Fatalf("base %q: made %q, whose path %q is not %q under %q", raw, made.s, got, made.path, base)
			}
		}
	})
}
