package tpay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
)

func TestConfig(t *testing.T) {
	t.Parallel()
	valid := tpay.Config{ClientID: "id", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "code"}
	tests := []struct {
		name    string
		edit    func(*tpay.Config)
		wantErr string
		check   func(t *testing.T, b *tpay.Broker)
	}{
		{"defaults", nil, "", func(t *testing.T, b *tpay.Broker) {
			if b.BaseURL() != tpay.ProductionURL || b.JWSPrefix() != tpay.ProductionJWSPrefix || strings.Join(b.Currencies(), " ") != "PLN" {
				t.Fatalf("%s %s %v", b.BaseURL(), b.JWSPrefix(), b.Currencies())
			}
		}},
		{"sandbox", func(c *tpay.Config) { c.Sandbox = true }, "", func(t *testing.T, b *tpay.Broker) {
			if b.BaseURL() != tpay.SandboxURL || b.JWSPrefix() != tpay.SandboxJWSPrefix {
				t.Fatalf("%s %s", b.BaseURL(), b.JWSPrefix())
			}
		}},
		{"simulator", func(c *tpay.Config) { c.APIURL, c.JWSPrefix = "http://127.0.0.1:9000/", "http://127.0.0.1:9000" }, "", func(t *testing.T, b *tpay.Broker) {
			if b.BaseURL() != "http://127.0.0.1:9000" || b.JWSPrefix() != "http://127.0.0.1:9000" {
				t.Fatalf("%s %s", b.BaseURL(), b.JWSPrefix())
			}
		}},
		{"euro account", func(c *tpay.Config) { c.Currencies = []string{"EUR"} }, "", nil},
		{"missing secrets", func(c *tpay.Config) { c.ClientSecret, c.SecurityCode = "", " " }, "client_secret is required", nil},
		{"missing client id", func(c *tpay.Config) { c.ClientID = "" }, "client_id is required", nil},
		{"no merchant id", func(c *tpay.Config) { c.MerchantID = 0 }, "merchant_id", nil},
		{"currency without cents", func(c *tpay.Config) { c.Currencies = []string{"JPY"} }, "JPY has 0 minor digits", nil},
		{"unknown currency", func(c *tpay.Config) { c.Currencies = []string{"PLZ"} }, "not an ISO 4217 code", nil},
		{"relative api_url", func(c *tpay.Config) { c.APIURL = "api.tpay.com" }, "api_url", nil},
		{"jws_prefix with a query", func(c *tpay.Config) { c.JWSPrefix = "https://secure.tpay.com/?x=1" }, "jws_prefix", nil},
		{"negative timeout", func(c *tpay.Config) { c.Timeout = -time.Second }, "timeout", nil},
		// The sandbox signs with certificates from its own host, production
		// from its: the other's prefix refuses every notification.
		{"sandbox with production's jws_prefix", func(c *tpay.Config) { c.Sandbox, c.JWSPrefix = true, "https://secure.tpay.com/" },
			`jws_prefix "https://secure.tpay.com/" is production's while sandbox is on`, nil},
		{"production with the sandbox's jws_prefix", func(c *tpay.Config) { c.JWSPrefix = "https://secure.sandbox.tpay.com" },
			`jws_prefix "https://secure.sandbox.tpay.com" is the sandbox's while sandbox is off`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			b, err := tpay.New(cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, b)
			}
		})
	}
}

func TestPanelSettings(t *testing.T) {
	t.Parallel()
	b, err := tpay.New(tpay.Config{ClientID: "id", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "code"})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, s := range b.PanelSettings(getpaid.NewEnv("tpay_pln", "https://shop.example/pay/", nil)) {
		all = append(all, s.Name+": "+s.Value)
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{"https://shop.example/pay/callback/tpay_pln", "1010", "https://secure.tpay.com/x509/tpay-jws-root.pem"} {
		if !strings.Contains(text, want) {
			t.Errorf("panel settings lack %q:\n%s", want, text)
		}
	}
	if ct, body := b.CallbackAck(); string(body) != "TRUE" || !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("ack %q %q", ct, body)
	}
}
