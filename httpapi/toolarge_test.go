package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// A body over its cap says the cap: before, every 413 answered "request
// body too large", so neither a client nor an operator reading a broker's
// delivery log could tell which limit to stay under (or raise in limits:).
func TestTooLargeSaysTheCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	for _, tt := range []struct {
		name, path string
		size       int
		hdr        map[string]string
		want       string
	}{
		{"JSON API", "/api/v1/payments", 70 << 10, map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": "application/json"}, "request body too large: at most 65536 bytes"},
		{"callback", "/callback/dummy", 5000, nil, "request body too large: at most 4096 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := e.doRaw("POST", tt.path, `{"order_id":"`+strings.Repeat("x", tt.size)+`"}`, tt.hdr)
			var got errorBody
			_ = json.Unmarshal(raw, &got)
			if resp.StatusCode != 413 || got.Error.Code != "body_too_large" || got.Error.Message != tt.want {
				t.Fatalf("%d %s; want 413 body_too_large %q", resp.StatusCode, raw, tt.want)
			}
		})
	}
}
