package payu

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

func validConfig() Config {
	return Config{PosID: "300746", SecondKey: "b6ca15b0d1020e8094d9b5f8d163db54", ClientID: "300746", ClientSecret: "2ee86a66e5d97e3fadc400c9f19b065d"}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"valid", func(*Config) {}, ""},
		{"missing pos_id", func(c *Config) { c.PosID = "" }, "pos_id"},
		{"missing second_key", func(c *Config) { c.SecondKey = " " }, "second_key"},
		{"missing client creds", func(c *Config) { c.ClientID, c.ClientSecret = "", "" }, "client_id, client_secret"},
		{"bad api_url", func(c *Config) { c.APIURL = "secure.payu.com" }, "api_url"},
		{"JPY currency", func(c *Config) { c.Currencies = []string{"PLN", "JPY"} }, "JPY"},
		{"unknown currency", func(c *Config) { c.Currencies = []string{"XXX"} }, "XXX"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout"},
		{"validity below a second", func(c *Config) { c.ValidityTime = time.Millisecond }, "validity_time"},
		{"validity not whole seconds", func(c *Config) { c.ValidityTime = 1500 * time.Millisecond }, "validity_time 1.5s: want whole seconds"},
		// allow_md5: true and strict_signatures: true say opposite things;
		// which one the operator meant is not for getpaid to guess.
		{"allow_md5 beside strict_signatures", func(c *Config) { yes := true; c.AllowMD5, c.StrictSignatures = &yes, true }, "allow_md5"},
		{"allow_md5: false beside strict_signatures", func(c *Config) { no := false; c.AllowMD5, c.StrictSignatures = &no, true }, ""},
		{"settings", func(c *Config) { c.Timeout, c.ValidityTime, c.PreAuthorization = time.Second, time.Hour, true }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			tc.edit(&cfg)
			_, err := New(cfg)
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want mention of %q", err, tc.wantErr)
			}
		})
	}
}

func TestHosts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"production", func(*Config) {}, "https://secure.payu.com"},
		{"sandbox", func(c *Config) { c.Sandbox = true }, "https://secure.snd.payu.com"},
		{"api_url overrides", func(c *Config) { c.Sandbox, c.APIURL = true, "http://127.0.0.1:9000/" }, "http://127.0.0.1:9000"},
		// As PayU documents its API's base: the OAuth endpoint is not under
		// it, and every API path already carries /api/v2_1.
		{"api_url with the API path", func(c *Config) { c.APIURL = "https://secure.snd.payu.com/api/v2_1" }, "https://secure.snd.payu.com"},
		{"api_url with the API path and a slash", func(c *Config) { c.APIURL = "http://127.0.0.1:9000/api/v2_1/" }, "http://127.0.0.1:9000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			tc.edit(&cfg)
			b, err := New(cfg)
			if err != nil || b.BaseURL() != tc.want {
				t.Fatalf("BaseURL = %v (%v), want %s", b, err, tc.want)
			}
		})
	}
}

func TestCurrencies(t *testing.T) {
	t.Parallel()
	b, _ := New(validConfig())
	if got := b.Currencies(); !slices.Equal(got, DefaultCurrencies()) || slices.Contains(got, "HRK") {
		t.Fatalf("Currencies = %v", got)
	}
	cfg := validConfig()
	cfg.Currencies = []string{"PLN"}
	b, _ = New(cfg)
	if got := b.Currencies(); !slices.Equal(got, []string{"PLN"}) {
		t.Fatalf("Currencies = %v", got)
	}
}

func TestAllowCallbackFrom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		allowlist, sandb bool
		ip               string
		want             bool
	}{
		{"off accepts anyone", false, false, "203.0.113.9", true},
		{"prod address", true, false, "185.68.12.10", true},
		{"prod .28", true, false, "185.68.12.28", true},
		{"prod refuses other", true, false, "203.0.113.9", false},
		{"prod refuses sandbox address", true, false, "185.68.14.10", false},
		{"prod refuses neighbour", true, false, "185.68.12.13", false},
		{"sandbox address", true, true, "185.68.14.26", true},
		{"sandbox refuses prod address", true, true, "185.68.12.26", false},
		{"empty", true, false, "", false},
		// How a dual-stack listener or proxy log writes an IPv4 peer:
		// the same address, as Przelewy24's and Dotpay's lists take it.
		{"prod address IPv4-mapped", true, false, "::ffff:185.68.12.10", true},
		{"sandbox address IPv4-mapped", true, true, "::ffff:185.68.14.26", true},
		{"IPv4-mapped other refused", true, false, "::ffff:203.0.113.9", false},
		{"not an address", true, false, "185.68.12.10:443", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			cfg.IPAllowlist, cfg.Sandbox = tc.allowlist, tc.sandb
			b, _ := New(cfg)
			if got := b.AllowCallbackFrom(tc.ip); got != tc.want {
				t.Fatalf("AllowCallbackFrom(%q) = %v", tc.ip, got)
			}
		})
	}
}

func TestPanelSettings(t *testing.T) {
	t.Parallel()
	b, _ := New(validConfig())
	var notify string
	for _, s := range b.PanelSettings(getpaid.NewEnv("payu", "https://shop.example/pay/", nil)) {
		if strings.HasPrefix(s.Name, "Notification URL") {
			notify = s.Value
		}
	}
	if notify != "https://shop.example/pay/callback/payu" {
		t.Fatalf("notification URL = %q", notify)
	}
	var _ getpaid.Configurator = b
}

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
			cfg := validConfig()
			tc.edit(&cfg)
			b, err := New(cfg)
			if err != nil || b.client.Timeout != tc.want {
				t.Fatalf("timeout %v (%v), want %v", b.client.Timeout, err, tc.want)
			}
		})
	}
}

// IsNotificationSource tells PayU's addresses for the configured mode
// whatever ip_allowlist says (the HTTP layer never blocks them for refused
// callbacks).
func TestIsNotificationSource(t *testing.T) {
	t.Parallel()
	for _, allowlist := range []bool{false, true} {
		for _, sandbox := range []bool{false, true} {
			cfg := validConfig()
			cfg.IPAllowlist, cfg.Sandbox = allowlist, sandbox
			b, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for ip, want := range map[string]bool{"185.68.12.10": !sandbox, "::ffff:185.68.12.28": !sandbox,
				"185.68.14.26": sandbox, " 185.68.14.10": sandbox, "185.68.12.13": false, "203.0.113.9": false, "": false} {
				if got := b.IsNotificationSource(ip); got != want {
					t.Errorf("allowlist %v, sandbox %v: IsNotificationSource(%q) = %v, want %v", allowlist, sandbox, ip, got, want)
				}
			}
		}
	}
}
