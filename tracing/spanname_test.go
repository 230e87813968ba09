package tracing_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestServerSpanNamesAreBounded: a server span was named after the method
// and whatever the path's first segment was, so every made-up path a
// scanner tries ("/wp-login.php", "/.env", "/a1b2c3") and every made-up
// method made a new span name, which trace backends index (and turn into
// metric labels). Names come from getpaid's own routes; any other request
// is named by its method alone ("HTTP" for a method HTTP does not define),
// as OpenTelemetry's HTTP conventions name a request with no known route.
func TestServerSpanNamesAreBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/api/v1/payments/pay_x/refund", "POST /api"},
		{"POST", "/callback/payu", "POST /callback"},
		{"GET", "/admin/payments/pay_x", "GET /admin"},
		{"GET", "/success/pay_x", "GET /success"},
		{"GET", "/failure/pay_x", "GET /failure"},
		{"GET", "/broker/dummy/pay", "GET /broker"},
		{"POST", "/pay/order-1", "POST /pay"},
		{"GET", "/api", "GET /api"},
		{"GET", "/wp-login.php", "GET"},
		{"GET", "/.env", "GET"},
		{"POST", "/a1b2c3d4/x", "POST"},
		{"GET", "/", "GET"},
		{"GET", "/apix/v1", "GET"},
		{"BREW", "/api/v1/payments", "HTTP /api"},
		{"X-ABC-123", "/zzz", "HTTP"},
	} {
		tr, exp := newTracer()
		h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
		if got := names(exp.GetSpans()); len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s %s: spans %q, want one named %q", tc.method, tc.path, got, tc.want)
		}
	}
}
