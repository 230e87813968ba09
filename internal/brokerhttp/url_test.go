package brokerhttp_test

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// A backend URL of a port alone (http://:9000) has no host: every call to
// the broker would go to this machine. It is refused, naming the setting.
func TestCheckURLNeedsAHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw, want string
	}{
		{"http://:9000", "with a host"},
		{"https://:/api", "with a host"},
		{"https:///api", "with a host"},
		{"https://secure.example.com", ""},
		{"http://127.0.0.1:9000/sandbox", ""},
		{"http://[::1]:9000", ""},
	} {
		err := brokerhttp.CheckURL("api_url", tc.raw)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckURL(%q): %v, want it taken", tc.raw, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "api_url")):
			t.Errorf("CheckURL(%q): %v, want an error naming api_url and saying %q", tc.raw, err, tc.want)
		}
	}
}
