package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/httpapi"
)

// Served under a base path (base_url https://shop.example/gp), the API's
// Location headers name the resource under that path, where a client can
// fetch it: /gp/api/v1/payments/{id}, not /api/v1/... outside it.
func TestLocationUnderBasePath(t *testing.T) {
	t.Parallel()
	eng := dummyEngine(t, "https://shop.example/gp")
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.Under("/gp", h))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("POST", srv.URL+"/gp/api/v1/payments",
		strings.NewReader(`{"order_id":"o-under","backend":"dummy","amount":"10.00","currency":"PLN","description":"x"}`))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
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
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the Location %s: %d", loc, resp.StatusCode)
	}
}

// Mounted as the README's library mode does (http.StripPrefix in the
// application's own mux), the Location of a created payment names it under
// the mount point too: /payments/api/v1/payments/{id}, which the client
// can fetch, not /api/v1/..., which the application does not serve.
func TestLocationUnderStripPrefix(t *testing.T) {
	t.Parallel()
	eng := dummyEngine(t, "https://shop.example/payments")
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/payments/", http.StripPrefix("/payments", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("POST", srv.URL+"/payments/api/v1/payments",
		strings.NewReader(`{"order_id":"o-strip","backend":"dummy","amount":"10.00","currency":"PLN","description":"x"}`))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(loc, "/payments/api/v1/payments/pay_") {
		t.Fatalf("create under StripPrefix(/payments): %d, Location %q; want 201 and /payments/api/v1/payments/pay_...", resp.StatusCode, loc)
	}
	req, _ = http.NewRequest("GET", srv.URL+loc, nil)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the Location %s: %d", loc, resp.StatusCode)
	}
}
