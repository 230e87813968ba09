package tpay

import (
	"net/http"
	"testing"
	"time"
)

// Timeout bounds every call, over a given client's timeout too (as at the
// other backends), and redirects are never followed.
func TestTimeoutSettingApplied(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		want time.Duration
	}{
		{"default", func(*Config) {}, DefaultTimeout},
		{"timeout", func(c *Config) { c.Timeout = 5 * time.Second }, 5 * time.Second},
		{"timeout over a given client", func(c *Config) { c.HTTPClient, c.Timeout = &http.Client{Timeout: time.Minute}, time.Second }, time.Second},
		{"given client kept", func(c *Config) { c.HTTPClient = &http.Client{Timeout: time.Minute} }, time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{ClientID: "id", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "code"}
			tc.edit(&cfg)
			b, err := New(cfg)
			if err != nil || b.client.Timeout != tc.want {
				t.Fatalf("timeout %v (%v), want %v", b.client.Timeout, err, tc.want)
			}
			if b.client.CheckRedirect == nil || b.client.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
				t.Fatal("the client follows redirects")
			}
			if cfg.HTTPClient != nil && cfg.HTTPClient.CheckRedirect != nil {
				t.Fatal("the given client was changed")
			}
		})
	}
}
