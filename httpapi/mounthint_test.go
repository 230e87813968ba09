package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/httpapi"
)

// A handler mounted under a prefix without http.StripPrefix sees every path
// with the prefix and matches none: its 404 says so and what to write.
// Before, it said only "no such route: /payments/pay/o-1", which reads as a
// missing order or a wrong link. A path that is simply unknown gets no hint.
func TestNotFoundHintsAtStripPrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	h, err := httpapi.New(httpapi.Config{Service: e.eng, Orders: checkedOrders{}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/payments/", h) // the mistake: no http.StripPrefix("/payments", h)
	mux.Handle("/", h)
	for _, tc := range []struct{ path, hint string }{
		{"/payments/pay/o-1", `http.StripPrefix("/payments", h)`},
		{"/payments/callback/dummy", `http.StripPrefix("/payments", h)`},
		{"/shop/gp/api/v1/payments", `http.StripPrefix("/shop/gp", h)`},
		{"/api/v1/nope", ""},
		{"/nothing/here", ""},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		var answer struct {
			Error struct{ Message string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("GET %s: %v: %s", tc.path, err, rec.Body)
		}
		body := answer.Error.Message
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", tc.path, rec.Code)
		}
		if tc.hint != "" && !strings.Contains(body, tc.hint) {
			t.Errorf("GET %s: %s, want a hint naming %s", tc.path, body, tc.hint)
		}
		if tc.hint == "" && strings.Contains(body, "StripPrefix") {
			t.Errorf("GET %s: %s, want no StripPrefix hint for an unknown path", tc.path, body)
		}
	}
}
