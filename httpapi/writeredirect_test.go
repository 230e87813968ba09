package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
)

// WriteRedirect given no redirect (a payment read back before it was
// prepared, whose Redirect is nil) or one with no URL answers a 500 page
// saying the buyer cannot be sent on, instead of panicking in the shop's
// handler or sending the buyer to "" (the page itself).
func TestWriteRedirectWithoutOne(t *testing.T) {
	t.Parallel()
	for name, rd := range map[string]*getpaid.Redirect{
		"nil":          nil,
		"no URL, GET":  {Method: http.MethodGet},
		"no URL":       {},
		"no URL, POST": {Method: http.MethodPost, Fields: map[string]string{"a": "1"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			httpapi.WriteRedirect(w, httptest.NewRequest(http.MethodPost, "/pay/o-1", nil), rd)
			if w.Code != http.StatusInternalServerError || w.Header().Get("Location") != "" {
				t.Fatalf("%d, Location %q, want 500 and none", w.Code, w.Header().Get("Location"))
			}
			if body := w.Body.String(); !strings.Contains(body, "could not be sent to the payment") {
				t.Fatalf("body does not say why:\n%s", body)
			}
		})
	}
}
