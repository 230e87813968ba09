package edge_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/internal/edge"
)

func TestScriptHash(t *testing.T) {
	t.Parallel()
	// The CSP3 specification's example: alert('Hello, world.');
	if got, want := edge.ScriptHash("alert('Hello, world.');"), "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"; got != want {
		t.Fatalf("hash %s, want %s", got, want)
	}
	page := "<body><script>a()</script><p>x</p><script>b()</script></body>"
	if got := edge.InlineScripts(page); len(got) != 2 || got[0] != "a()" || got[1] != "b()" {
		t.Fatalf("scripts %q", got)
	}
	if csp := edge.ScriptCSP(edge.ScriptHash("a()")); !strings.Contains(csp, "script-src 'sha256-") || !strings.HasPrefix(csp, edge.PageCSP) {
		t.Fatalf("script CSP %q", csp)
	}
}

func TestFormPage(t *testing.T) {
	t.Parallel()
	l := edge.NewLimiter(edge.LimiterConfig{})
	var got string
	h := edge.FormPage(l, 100, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		got = r.PostForm.Get("a")
	}))
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"small form", "a=1", 200},
		{"form over the cap", "a=" + strings.Repeat("x", 200), 413},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Fatalf("%s: status %d, want %d", tt.name, rec.Code, tt.status)
		}
		for _, k := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
			if rec.Header().Get(k) == "" {
				t.Fatalf("%s: no %s", tt.name, k)
			}
		}
	}
	if got != "1" {
		t.Fatalf("handler read %q from the form", got)
	}
	if l.InUse() != 0 {
		t.Fatalf("budget holds %d after the requests", l.InUse())
	}
}

// SetStrict and SetHSTS are Header.Set of each header (canonical keys, one
// value), and the values they share between answers are never written
// through: an Add to one answer's header leaves another answer's alone.
func TestSetStrictSharesNothingWritable(t *testing.T) {
	t.Parallel()
	want := http.Header{}
	want.Set("Content-Security-Policy", edge.StrictCSP)
	want.Set("X-Frame-Options", "DENY")
	want.Set("X-Content-Type-Options", "nosniff")
	want.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	want.Set("Cache-Control", "no-store")
	want.Set("Strict-Transport-Security", edge.HSTS)
	set := func() http.Header {
		h := http.Header{}
		edge.SetStrict(h)
		edge.SetHSTS(h, "https")
		return h
	}
	if got := set(); !reflect.DeepEqual(got, want) {
		t.Fatalf("headers %q, want %q", got, want)
	}
	plain := http.Header{}
	edge.SetHSTS(plain, "http")
	if len(plain) != 0 {
		t.Fatalf("HSTS over http: %q", plain)
	}
	a, b := set(), set()
	for k := range want {
		a.Add(k, "a")
		b.Add(k, "b")
		a[k][0] += "!" // one answer's own edit, in place, of what Add gave it
	}
	for k, v := range want {
		if got := b[k]; len(got) != 2 || got[0] != v[0] || got[1] != "b" {
			t.Errorf("%s: %q after Add to another answer, want [%q b]", k, got, v[0])
		}
	}
	if got := set(); !reflect.DeepEqual(got, want) {
		t.Fatalf("headers %q after answers edited theirs, want %q", got, want)
	}
}
