package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/httpapi"
)

// MethodNotAllowed answers the API's 405 for a route served beside the
// handler (a probe): Allow set, the path named as sent, under Under's
// prefix too, and the error's field present as in every API error.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		h    http.Handler
		path string
	}{
		{"at the root", httpapi.MethodNotAllowed("GET, HEAD"), "/healthz"},
		{"under a prefix", httpapi.Under("/gp", httpapi.MethodNotAllowed("GET, HEAD")), "/gp/healthz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, tc.path, nil))
			body := w.Body.String()
			if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" ||
				!strings.Contains(body, `"code":"method_not_allowed"`) || !strings.Contains(body, "on "+tc.path+" ") || !strings.Contains(body, `"field":""`) {
				t.Fatalf("POST %s: %d %v %s", tc.path, w.Code, w.Header(), body)
			}
		})
	}
}
