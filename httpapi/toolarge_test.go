package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A body over its cap says the cap: before, every 413 answered "request
// body too large", so neither a client nor an operator reading a broker's
// delivery log could tell which limit to stay under (or raise in limits:).
func TestTooLargeSaysTheCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	// The server answers 413 from the declared length and closes the
	// connection without reading the body: a client still writing it may
	// get a broken pipe before it reads the answer (Go's client waits 50
	// ms for one; on a loaded machine that is not enough). Sent with
	// "Expect: 100-continue", the body waits for a 100 that never comes,
	// and the answer is read whole.
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	t.Cleanup(client.CloseIdleConnections)
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
			req, err := http.NewRequest("POST", e.srv.URL+tt.path, strings.NewReader(`{"order_id":"`+strings.Repeat("x", tt.size)+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Expect", "100-continue")
			for k, v := range tt.hdr {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var got errorBody
			_ = json.Unmarshal(raw, &got)
			if resp.StatusCode != 413 || got.Error.Code != "body_too_large" || got.Error.Message != tt.want {
				t.Fatalf("%d %s; want 413 body_too_large %q", resp.StatusCode, raw, tt.want)
			}
		})
	}
}
