package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// POST /api/v1/events/backfill names its endpoint and a time in RFC 3339 in
// the query; what it cannot honour is refused saying why, and a server
// whose Service cannot backfill answers 501.
func TestBackfillRefusesWhatItCannotHonour(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.paidThroughPaywall("o-backfill", "10.00")
	for _, tc := range []struct {
		name, path string
		body       any
		status     int
		field      string
	}{
		{"no since", "/api/v1/events/backfill?endpoint=https://erp.example/hook", nil, 422, "since"},
		{"since not RFC 3339", "/api/v1/events/backfill?endpoint=https://erp.example/hook&since=yesterday", nil, 422, "since"},
		{"no endpoint", "/api/v1/events/backfill?since=2026-12-01T00:00:00Z", nil, 422, "endpoint"},
		{"since in the future", "/api/v1/events/backfill?endpoint=https://erp.example/hook&since=2999-01-01T00:00:00Z", nil, 422, "since"},
		{"an endpoint events do not go to", "/api/v1/events/backfill?endpoint=https://erp.example/hook&since=2026-12-01T00:00:00Z", nil, 422, "endpoint"},
		{"a body", "/api/v1/events/backfill", map[string]string{"endpoint": "https://erp.example/hook"}, 400, ""},
		{"an unknown parameter", "/api/v1/events/backfill?endpoint=https://erp.example/hook&since=2026-12-01T00:00:00Z&all=1", nil, 422, ""},
	} {
		resp, body := e.do("POST", tc.path, tc.body, auth)
		var out struct {
			Error struct{ Code, Message, Field string }
		}
		_ = json.Unmarshal(body, &out)
		if resp.StatusCode != tc.status || (tc.field != "" && out.Error.Field != tc.field) || out.Error.Message == "" {
			t.Errorf("%s: %d %s, want %d naming %q", tc.name, resp.StatusCode, body, tc.status, tc.field)
		}
	}
	bare := newEnv(t, envOpts{wrapService: func(s getpaid.Service) getpaid.Service { return onlyService{s} }})
	resp, body := bare.do("POST", "/api/v1/events/backfill?endpoint=https://erp.example/hook&since=2026-12-01T00:00:00Z", nil, auth)
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(string(body), "not_implemented") {
		t.Errorf("backfill without a backfiller: %d %s; want 501", resp.StatusCode, body)
	}
}
