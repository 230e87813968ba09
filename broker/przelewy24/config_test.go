package przelewy24

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

func validConfig() Config {
	return Config{MerchantID: 11111, CRC: "aef0aef0aef0aef0", APIKey: "key"}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{"valid", func(*Config) {}, ""},
		{"missing merchant", func(c *Config) { c.MerchantID = 0 }, "merchant_id"},
		{"missing crc", func(c *Config) { c.CRC = "" }, "crc is required"},
		{"missing api key", func(c *Config) { c.APIKey = "" }, "api_key is required"},
		{"negative pos", func(c *Config) { c.PosID = -1 }, "pos_id"},
		{"zero-exponent currency", func(c *Config) { c.Currencies = []string{"PLN", "JPY"} }, "JPY has 0 minor digits"},
		{"three-exponent currency", func(c *Config) { c.Currencies = []string{"KWD"} }, "KWD has 3 minor digits"},
		{"unknown currency", func(c *Config) { c.Currencies = []string{"XXX"} }, "not an ISO 4217"},
		{"bad language", func(c *Config) { c.Language = "xx" }, "language"},
		{"bad country", func(c *Config) { c.Country = "POL" }, "country"},
		{"bad api url", func(c *Config) { c.APIURL = "ftp://x" }, "api_url"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout"},
		{"time limit over 99", func(c *Config) { n := 100; c.TimeLimit = &n }, "time_limit"},
		{"negative time limit", func(c *Config) { n := -1; c.TimeLimit = &n }, "time_limit"},
		{"time limit 0: no limit", func(c *Config) { n := 0; c.TimeLimit = &n }, ""},
		{"channel sum", func(c *Config) { c.Channel = 1 | 2 | 16384 }, ""},
		{"channel bit unknown", func(c *Config) { c.Channel = 512 }, "channel"},
		{"negative method", func(c *Config) { c.Method = -1 }, "method"},
		{"refund notify url not a url", func(c *Config) { c.RefundNotifyURL = "notaurl" }, `refund_notify_url "notaurl": want an absolute http(s) URL`},
		{"refund notify url without host", func(c *Config) { c.RefundNotifyURL = "https:///cb" }, "refund_notify_url"},
		{"refund notify url", func(c *Config) { c.RefundNotifyURL = "https://shop.example/p24-refunds" }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			tc.mod(&cfg)
			_, err := New(cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error = %v, want containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      Config
		wantBase string
		wantPos  int
	}{
		{"production", validConfig(), ProductionURL, 11111},
		{"sandbox", func() Config { c := validConfig(); c.Sandbox = true; return c }(), SandboxURL, 11111},
		{"api url wins", func() Config { c := validConfig(); c.Sandbox = true; c.APIURL = "http://127.0.0.1:9/"; return c }(), "http://127.0.0.1:9", 11111},
		{"own pos", func() Config { c := validConfig(); c.PosID = 22222; return c }(), ProductionURL, 22222},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if b.base != tc.wantBase || b.cfg.PosID != tc.wantPos {
				t.Errorf("base %q pos %d, want %q %d", b.base, b.cfg.PosID, tc.wantBase, tc.wantPos)
			}
			if b.cfg.Language != "pl" || b.cfg.Country != "PL" || b.client == nil {
				t.Errorf("defaults not filled: %+v", b.cfg)
			}
			if !slices.Equal(b.Currencies(), DefaultCurrencies()) {
				t.Errorf("currencies %v", b.Currencies())
			}
		})
	}
}

func TestAllowCallbackFrom(t *testing.T) {
	t.Parallel()
	on := validConfig()
	on.IPAllowlist = true
	allow, _ := New(on)
	open, _ := New(validConfig())
	tests := []struct {
		name string
		b    *Broker
		ip   string
		want bool
	}{
		{"sdk address", allow, "5.252.202.254", true},
		{"sdk address 2", allow, "5.252.202.255", true},
		{"sdk azure address", allow, "20.215.81.124", true},
		{"documented range", allow, "193.178.213.17", true},
		{"documented range 2", allow, "91.220.177.255", true},
		{"documented /28 inside", allow, "20.215.183.63", true},
		{"documented /28 outside", allow, "20.215.183.64", false},
		{"documented /29 inside", allow, "134.112.88.15", true},
		{"documented /29 outside", allow, "134.112.88.16", false},
		{"ipv4-mapped ipv6", allow, "::ffff:5.252.202.254", true},
		// An address with blanks around it (a library caller's split of
		// "a, b" from a proxy header), as the other brokers take it.
		{"sdk address with blanks", allow, " 5.252.202.254 ", true},
		{"stranger with blanks", allow, " 203.0.113.9", false},
		{"stranger", allow, "203.0.113.9", false},
		{"garbage", allow, "not-an-ip", false},
		{"empty", allow, "", false},
		{"allowlist off", open, "203.0.113.9", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.b.AllowCallbackFrom(tc.ip); got != tc.want {
				t.Errorf("AllowCallbackFrom(%q) = %v, want %v", tc.ip, got, tc.want)
			}
		})
	}
}

func TestPanelSettings(t *testing.T) {
	t.Parallel()
	b, _ := New(validConfig())
	got := b.PanelSettings(getpaid.NewEnv("przelewy24", "https://shop.example/", nil))
	if got[0].Value != "https://shop.example/callback/przelewy24" {
		t.Errorf("notification url %q", got[0].Value)
	}
	if got[1].Value != "11111" || got[2].Value != "11111" {
		t.Errorf("ids %q %q", got[1].Value, got[2].Value)
	}
	ct, body := b.CallbackAck()
	if !strings.HasPrefix(ct, "text/plain") || string(body) != "OK" {
		t.Errorf("ack %q %q", ct, body)
	}
}

// api_url may be given as Przelewy24 documents its base URL
// ("https://secure.przelewy24.pl/api/v1"): the API is still called once
// under /api/v1 and the buyer still goes to {host}/trnRequest/{token}.
func TestAPIURLGivenWithAPIPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, suffix := range []string{"/api/v1", "/api/v1/"} {
		b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "secret", APIURL: e.sim.URL() + suffix})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Provision(context.Background(), getpaid.NewEnv("przelewy24", "https://shop.example", nil)); err != nil {
			t.Fatal(err)
		}
		p := newPayment(1000, "PLN")
		prep, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: p})
		if err != nil {
			t.Fatalf("api_url %q: Prepare: %v", suffix, err)
		}
		if !strings.HasPrefix(prep.Redirect.URL, e.sim.URL()+"/trnRequest/") {
			t.Fatalf("api_url %q: buyer sent to %s", suffix, prep.Redirect.URL)
		}
	}
}

// DefaultCurrencies hands out a copy: a caller changing it changes neither
// the next copy nor a backend built with the defaults.
func TestDefaultCurrenciesIsACopy(t *testing.T) {
	t.Parallel()
	b, err := New(Config{MerchantID: 1, CRC: "crc", APIKey: "key"})
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultCurrencies()
	d[0] = "XXX"
	if DefaultCurrencies()[0] != "PLN" || b.Currencies()[0] != "PLN" {
		t.Fatalf("changing a copy changed the defaults: %v, backend %v", DefaultCurrencies(), b.Currencies())
	}
}

// A bad merchant_id with pos_id left out (it defaults to the merchant)
// names merchant_id alone: it also said "pos_id must be a positive
// integer", of a setting never written.
func TestNewNamesOnlyTheSettingWritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		mod       func(*Config)
		want, not string
	}{
		{"negative merchant, pos left out", func(c *Config) { c.MerchantID, c.PosID = -5, 0 }, "merchant_id", "pos_id"},
		{"negative merchant and pos", func(c *Config) { c.MerchantID, c.PosID = -5, -5 }, "pos_id", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			tc.mod(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.not != "" && strings.Contains(err.Error(), tc.not)) {
				t.Fatalf("New error = %v, want one naming %q and not %q", err, tc.want, tc.not)
			}
		})
	}
}

// IsNotificationSource tells Przelewy24's addresses whatever ip_allowlist
// says (the HTTP layer never blocks them for refused callbacks).
func TestIsNotificationSource(t *testing.T) {
	t.Parallel()
	for _, allowlist := range []bool{false, true} {
		cfg := validConfig()
		cfg.IPAllowlist = allowlist
		b, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for ip, want := range map[string]bool{"5.252.202.254": true, "20.215.81.124": true, "193.178.213.17": true,
			"::ffff:91.220.177.1": true, " 134.112.88.15 ": true, "134.112.88.16": false, "203.0.113.9": false, "": false, "x": false} {
			if got := b.IsNotificationSource(ip); got != want {
				t.Errorf("allowlist %v: IsNotificationSource(%q) = %v, want %v", allowlist, ip, got, want)
			}
		}
	}
}
