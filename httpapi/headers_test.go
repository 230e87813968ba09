package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// assertPageHeaders checks the headers every HTML page must carry.
func assertPageHeaders(t *testing.T, name string, resp *http.Response) {
	t.Helper()
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %s", name, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-eval") || strings.Contains(strings.SplitAfter(csp, "script-src")[len(strings.SplitAfter(csp, "script-src"))-1], "unsafe-inline") && strings.Contains(csp, "script-src") {
		t.Errorf("%s: policy allows unsafe scripts: %q", name, csp)
	}
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "strict-origin-when-cross-origin", "Cache-Control": "no-store"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", name, k, got, want)
		}
	}
}

// Acceptance 4: every HTML page getpaid serves answers with the security
// headers, and the auto-submitting page may run exactly its own script.
func TestPagesHaveSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	post := newEnv(t, envOpts{method: "POST"})
	for _, x := range []*env{e, post} {
		x.orders["o-h"] = &getpaid.Order{ID: "o-h", Amount: getpaid.MustParseMoney("5.00", "PLN"), ReturnURL: "https://shop.example/o/h"}
	}
	resp, body := e.do("POST", "/api/v1/payments", map[string]any{"order_id": "o-s", "amount": "1.00", "currency": "PLN", "backend": "dummy"}, auth)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	id := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(string(body))[1]
	paywall := e.create("o-p", "3.00", "PLN", "dummy").Redirect.URL
	tests := []struct {
		name   string
		get    func() (*http.Response, []byte)
		status int
		html   bool
	}{
		{"payment form", func() (*http.Response, []byte) { return e.do("GET", "/pay/o-h", nil, nil) }, 200, true},
		{"payment form with an error", func() (*http.Response, []byte) { return e.postForm("/pay/o-h", url.Values{"backend": {"yen"}}) }, 422, true},
		{"auto-submitting redirect", func() (*http.Response, []byte) { return post.postForm("/pay/o-h", url.Values{"backend": {"dummy"}}) }, 200, true},
		{"status page", func() (*http.Response, []byte) { return e.do("GET", "/success/"+id, nil, nil) }, 200, true},
		{"dummy paywall", func() (*http.Response, []byte) { return e.do("GET", strings.TrimPrefix(paywall, e.srv.URL), nil, nil) }, 200, true},
		{"dummy paywall refusal", func() (*http.Response, []byte) {
			return e.postForm("/broker/dummy/choose", url.Values{"payment_id": {"x"}, "outcome": {"paid"}})
		}, 403, false},
		{"unknown order", func() (*http.Response, []byte) { return e.do("GET", "/pay/nope", nil, nil) }, 404, true},
		{"unknown payment's return", func() (*http.Response, []byte) { return e.do("GET", "/failure/pay_nope", nil, nil) }, 404, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := tt.get()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.html != strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			assertPageHeaders(t, tt.name, resp)
			csp := resp.Header.Get("Content-Security-Policy")
			scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(string(body), -1)
			for _, s := range scripts {
				sum := sha256.Sum256([]byte(s[1]))
				if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, "script-src "+want) {
					t.Fatalf("the page's script %q is not allowed by %q", s[1], csp)
				}
			}
			// A page's own stylesheet must be allowed, or the buyer sees
			// it unstyled, by its hash: no other style may apply.
			_, styles, _ := strings.Cut(csp, "style-src ")
			styles, _, _ = strings.Cut(styles, ";")
			if strings.Contains(styles, "'unsafe-inline'") {
				t.Fatalf("the policy allows any inline style: %q", csp)
			}
			for _, st := range regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(string(body), -1) {
				sum := sha256.Sum256([]byte(st[1]))
				if !strings.Contains(styles, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
					t.Fatalf("the page's stylesheet is not allowed by %q", csp)
				}
			}
			if strings.Contains(string(body), " on") && regexp.MustCompile(`<[^>]+ on[a-z]+=`).Match(body) {
				t.Fatalf("inline event handler, which a hash cannot allow: %s", body)
			}
			if tt.name == "auto-submitting redirect" && len(scripts) != 1 {
				t.Fatalf("redirect page without its script:\n%s", body)
			}
			if len(scripts) == 0 && strings.Contains(csp, "script-src") {
				t.Fatalf("a page without scripts allows some: %q", csp)
			}
		})
	}
}

// JSON answers carry nosniff and no-store (they hold payment data), errors
// included.
func TestJSONAnswersNotCached(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.create("o-j", "2.00", "PLN", "dummy")
	for _, tt := range []struct {
		name string
		do   func() (*http.Response, []byte)
	}{
		{"payment", func() (*http.Response, []byte) { return e.do("GET", "/api/v1/payments/"+p.ID, nil, auth) }},
		{"payments", func() (*http.Response, []byte) { return e.do("GET", "/api/v1/payments?order_id=o-j", nil, auth) }},
		{"unauthorised", func() (*http.Response, []byte) { return e.do("GET", "/api/v1/payments/"+p.ID, nil, nil) }},
		{"refused create", func() (*http.Response, []byte) {
			return e.do("POST", "/api/v1/payments", map[string]any{"order_id": "o\n"}, auth)
		}},
		{"callback", func() (*http.Response, []byte) { return e.callback([]byte(`{}`), "") }},
	} {
		resp, _ := tt.do()
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: headers %v", tt.name, resp.Header)
		}
	}
}
