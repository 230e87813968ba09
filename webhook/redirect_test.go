package webhook_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid/webhook"
)

// Redirects are not followed (the Standard Webhooks specification: update
// the URL instead), so an endpoint moved (http to https, a path with a
// slash added) fails every attempt until dead. The attempt's error said
// only "answered 301 Moved Permanently": the operator had to find out where
// to. It says the URL the endpoint redirects to, made absolute, and to
// configure it if the endpoint moved there (a redirect to a login page is
// a protected endpoint, not a move); a 3xx without a Location, and other
// failures, say what they said before.
func TestRedirectSaysWhereTo(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/hooks/getpaid/", http.StatusMovedPermanently)
		case "/elsewhere":
			http.Redirect(w, r, "https://shop.example/hook", http.StatusTemporaryRedirect)
		case "/nolocation":
			w.WriteHeader(http.StatusFound)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		path, want, not string
	}{
		{"/moved", "answered 301 Moved Permanently (to " + srv.URL + "/hooks/getpaid/: redirects are not followed; if the endpoint moved there, configure that URL)", ""},
		{"/elsewhere", "answered 307 Temporary Redirect (to https://shop.example/hook: redirects are not followed; if the endpoint moved there, configure that URL)", ""},
		{"/nolocation", "answered 302 Found", "redirects are not followed"},
		{"/fails", "answered 500 Internal Server Error", "redirects"},
	} {
		ep, err := webhook.New(webhook.Config{URL: srv.URL + tc.path, Secrets: []string{webhook.NewSecret()}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ep.Deliver(context.Background(), sampleEvent())
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.not != "" && strings.Contains(err.Error(), tc.not)) {
			t.Errorf("%s: %v; want it to say %q", tc.path, err, tc.want)
		}
	}
}

// What a redirect's Location says is the endpoint's, not to be trusted: a
// password in it is not kept, one that does not parse fails the attempt
// (Go's client refuses it), and a long or not UTF-8 one is kept clipped and
// valid, as the attempt's error is stored and shown.
func TestRedirectLocationTampered(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, location, want, not string
	}{
		{"a password", "https://u:hunter2@shop.example/hook", "(to https://xxxxx@shop.example/hook:", "hunter2"},
		// Go's client refuses the answer before getpaid sees it: the
		// attempt fails saying so, without a status.
		{"not a URL", "http://[::1/hook", `failed to parse Location header "http://[::1/hook"`, "(to "},
		{"over long", "https://shop.example/" + strings.Repeat("a", 10000), "answered 301 Moved Permanently (to https://shop.example/aaa", strings.Repeat("a", 300)},
		{"not UTF-8", "https://shop.example/\xff\xfe", "answered 301 Moved Permanently (to https://shop.example/", "\xff"},
	} {
		ep := rawEndpoint(t, func(c net.Conn) {
			_, _ = c.Write([]byte("HTTP/1.1 301 Moved Permanently\r\nLocation: " + tc.location + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
		})
		_, err := ep.Deliver(context.Background(), sampleEvent())
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), tc.not) || !utf8.ValidString(err.Error()) {
			t.Errorf("%s: %.200v; want it to say %q and not %.20q, in UTF-8", tc.name, err, tc.want, tc.not)
		}
	}
}
