package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getpaid-go/getpaid/httpapi"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// The Authorization header is read as HTTP defines it (RFC 9110 §11.1,
// RFC 6750 §2.1): the scheme is case-insensitive and separated from the
// key by one or more spaces; any of the configured keys is accepted, and
// nothing else is.
func TestBearerKey(t *testing.T) {
	t.Parallel()
	const other = "second-api-key-abcdefghij"
	eng := dummyEngine(t, "https://shop.example")
	h, err := httpapi.New(httpapi.Config{Service: eng, APIKeys: []string{apiKey, other}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tests := []struct {
		name, header string
		want         int
	}{
		{"first key", "Bearer " + apiKey, 200},
		{"second key", "Bearer " + other, 200},
		{"scheme in lower case", "bearer " + apiKey, 200},
		{"scheme in upper case", "BEARER " + other, 200},
		{"two spaces", "Bearer  " + apiKey, 200},
		{"no header", "", 401},
		{"wrong key", "Bearer not-a-key-0123456789", 401},
		{"a key's prefix", "Bearer " + apiKey[:len(apiKey)-1], 401},
		{"key with a suffix", "Bearer " + apiKey + "x", 401},
		{"two keys", "Bearer " + apiKey + " " + other, 401},
		{"no scheme", apiKey, 401},
		{"scheme only", "Bearer", 401},
		{"scheme without space", "Bearer" + apiKey, 401},
		{"another scheme", "Basic " + apiKey, 401},
		{"a longer scheme", "Bearerx " + apiKey, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/payments", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("Authorization %q: %d, want %d", tt.header, resp.StatusCode, tt.want)
			}
		})
	}
}
