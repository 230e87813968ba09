package dotpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerenv"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Hosts of Dotpay's payment form and seller API. Production is the host
// Dotpay's PHP SDK (1.0.21) sends payments to since Dotpay runs on
// Przelewy24's infrastructure; the test environment stayed at ssl.dotpay.pl.
const (
	ProductionURL = "https://dproxy.przelewy24.pl"
	SandboxURL    = "https://ssl.dotpay.pl"
)

// Paths under the host, for production and the test environment.
const (
	paymentPath        = "/t2/"
	sandboxPaymentPath = "/test_payment/"
	sellerPath         = "/s2/login/api/v1/"
	sandboxSellerPath  = "/test_seller/api/v1/"
)

// defaultCurrencies are the currencies Dotpay's SDK lists (the same as
// django-getpaid-dotpay's).
var defaultCurrencies = []string{"PLN", "EUR", "USD", "GBP", "JPY", "CZK", "SEK", "UAH", "RON"}

// DefaultCurrencies returns the currencies accepted when Config.Currencies
// is empty.
func DefaultCurrencies() []string { return slices.Clone(defaultCurrencies) }

// NotificationIPs are the addresses Dotpay sends URLC notifications from, as
// Dotpay's PHP SDK (1.0.21) lists them: Dotpay's own and Przelewy24's.
func NotificationIPs() []string {
	return []string{"195.150.9.37", "5.252.202.254", "5.252.202.255", "20.215.81.124"}
}

// Config is the backend's settings. The yaml names are fixed.
type Config struct {
	ShopID     string `yaml:"shop_id"`     // the shop's id (the form's "id"), digits; required
	PIN        string `yaml:"pin"`         // the shop's PIN: signs chk and URLC; required
	Sandbox    bool   `yaml:"sandbox"`     // use Dotpay's test environment
	APIVersion string `yaml:"api_version"` // "next" (default) or "dev": how chk is computed
	Method     string `yaml:"method"`      // how the buyer is sent: "GET" link (default) or "POST" form
	// IPAllowlist accepts URLC notifications only from Dotpay's addresses
	// (the client IP as resolved through trusted proxies). Unset, it is on
	// in production and off in the sandbox. A simulator (APIURL pointing at
	// dotpaytest) sends its URLC from its own address: set it false there
	// (Example_libraryMode), or every URLC is refused.
	IPAllowlist *bool    `yaml:"ip_allowlist"`
	APIURL      string   `yaml:"api_url"`    // overrides the host (a simulator); paths stay Dotpay's
	Currencies  []string `yaml:"currencies"` // default DefaultCurrencies
	// APIUsername and APIPassword log in to Dotpay's seller API (the seller
	// panel's user). Both or neither; without them the backend cannot refund
	// or poll, and payments move by URLC notifications only.
	APIUsername string `yaml:"api_username"`
	APIPassword string `yaml:"api_password"`
	// Timeout bounds each seller API call; default 30 s. A refund whose
	// answer does not come in time is in doubt (the refund may have been
	// made) and is resolved by FetchOperation.
	Timeout time.Duration `yaml:"timeout"`

	// HTTPClient is used for seller API calls; nil means a new client.
	// Timeout, when set, replaces the client's timeout.
	HTTPClient *http.Client `yaml:"-"`
}

// DefaultTimeout bounds seller API calls when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Broker is the Dotpay backend. It is safe for concurrent use.
type Broker struct {
	cfg         Config
	method      string
	apiVersion  string
	allowlist   bool
	paymentURL  string // the payment form, with its trailing slash
	sellerURL   string // the seller API root, with its trailing slash
	client      *http.Client
	currencies  []string
	env         atomic.Pointer[getpaid.Env]
	allowedAddr []netip.Addr
}

// Interface guards.
var (
	_ getpaid.Broker              = (*Broker)(nil)
	_ getpaid.Provisioner         = (*Broker)(nil)
	_ getpaid.CallbackVerifier    = (*Broker)(nil)
	_ getpaid.CallbackResponder   = (*Broker)(nil)
	_ getpaid.IPAllowlister       = (*Broker)(nil)
	_ getpaid.NotificationSourcer = (*Broker)(nil)
	_ getpaid.Configurator        = (*Broker)(nil)
	_ getpaid.StatusFetcher       = (*Broker)(nil)
	_ getpaid.Refunder            = (*Broker)(nil)
	_ getpaid.OperationGate       = (*Broker)(nil)
	_ getpaid.OperationFetcher    = (*Broker)(nil)
	_ getpaid.CallbackSizer       = (*Broker)(nil)
)

// New validates cfg, fills the defaults and returns the backend.
func New(cfg Config) (*Broker, error) {
	var errs []error
	if cfg.ShopID == "" {
		errs = append(errs, errors.New("shop_id is required"))
	} else if len(cfg.ShopID) > 10 || strings.Trim(cfg.ShopID, "0123456789") != "" {
		errs = append(errs, fmt.Errorf("shop_id %q: want the shop's numeric id", cfg.ShopID))
	}
	switch {
	case cfg.PIN == "":
		errs = append(errs, errors.New("pin is required"))
	case strings.TrimSpace(cfg.PIN) != cfg.PIN:
		errs = append(errs, errors.New("pin has leading or trailing spaces"))
	}
	b := &Broker{cfg: cfg, apiVersion: cfg.APIVersion, method: strings.ToUpper(cfg.Method)}
	switch b.apiVersion {
	case "":
		b.apiVersion = APINext
	case APINext, APIDev:
	default:
		errs = append(errs, fmt.Errorf("api_version %q: want %q or %q", cfg.APIVersion, APINext, APIDev))
	}
	switch b.method {
	case "":
		b.method = http.MethodGet
	case http.MethodGet, http.MethodPost:
	default:
		errs = append(errs, fmt.Errorf("method %q: want GET or POST", cfg.Method))
	}
	b.currencies = defaultCurrencies
	if len(cfg.Currencies) > 0 {
		b.currencies = cfg.Currencies
	}
	b.currencies = slices.Clone(b.currencies)
	for _, c := range b.currencies {
		if _, err := hundredthsPerMinor(c); err != nil {
			errs = append(errs, fmt.Errorf("currencies: %w", err))
		}
	}
	host := ProductionURL
	if cfg.Sandbox {
		host = SandboxURL
	}
	if cfg.APIURL != "" {
		if err := brokerhttp.CheckURL("api_url", cfg.APIURL); err != nil {
			errs = append(errs, err)
		}
		host = strings.TrimRight(cfg.APIURL, "/")
	}
	if (cfg.APIUsername == "") != (cfg.APIPassword == "") {
		errs = append(errs, errors.New("api_username and api_password go together"))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s: want a positive duration", cfg.Timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("dotpay config: %w", err)
	}
	b.paymentURL, b.sellerURL = host+paymentPath, host+sellerPath
	if cfg.Sandbox {
		b.paymentURL, b.sellerURL = host+sandboxPaymentPath, host+sandboxSellerPath
	}
	b.allowlist = !cfg.Sandbox
	if cfg.IPAllowlist != nil {
		b.allowlist = *cfg.IPAllowlist
	}
	for _, s := range NotificationIPs() {
		b.allowedAddr = append(b.allowedAddr, netip.MustParseAddr(s))
	}
	b.client = brokerhttp.Client(cfg.HTTPClient, cfg.Timeout, DefaultTimeout)
	return b, nil
}

// Provision implements getpaid.Provisioner: every payment carries the
// backend's callback URL (urlc) and return URL (url) from env.
func (b *Broker) Provision(_ context.Context, env getpaid.Env) error {
	return brokerenv.Provision("dotpay", &b.env, env)
}

// environment returns the broker's environment, or an error before Provision.
func (b *Broker) environment() (*getpaid.Env, error) {
	env := b.env.Load()
	if env == nil {
		return nil, errors.New("dotpay: backend not provisioned (no getpaid URL yet)")
	}
	return env, nil
}

// Currencies lists the accepted currency codes.
func (b *Broker) Currencies() []string { return slices.Clone(b.currencies) }

// PaymentURL is the payment form the buyer is sent to.
func (b *Broker) PaymentURL() string { return b.paymentURL }

// CallbackAck answers a URLC the way Dotpay requires: the body "OK", exactly.
// Anything else makes Dotpay send the notification again.
func (b *Broker) CallbackAck() (string, []byte) { return "text/plain; charset=utf-8", []byte("OK") }

// AllowCallbackFrom reports whether a URLC may come from ip (resolved through
// trusted proxies by the caller): always with the allowlist off, else only
// from NotificationIPs.
func (b *Broker) AllowCallbackFrom(ip string) bool {
	return !b.allowlist || b.IsNotificationSource(ip)
}

// IsNotificationSource implements getpaid.NotificationSourcer: whether ip
// is one of NotificationIPs, ip_allowlist on or off.
func (b *Broker) IsNotificationSource(ip string) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	return slices.Contains(b.allowedAddr, addr.Unmap())
}

// PanelSettings lists what to check in Dotpay's seller panel for a getpaid
// at env. urlc and url are sent with every payment; the panel must not block
// them.
func (b *Broker) PanelSettings(env getpaid.Env) []getpaid.PanelSetting {
	api := "not configured: refunds and polling are off (set api_username and api_password)"
	if b.cfg.APIUsername != "" {
		api = "seller panel user " + b.cfg.APIUsername
	}
	return []getpaid.PanelSetting{
		{Name: "Shop ID (shop_id)", Value: b.cfg.ShopID},
		{Name: "PIN (pin)", Value: "copy the shop's PIN from the Dotpay panel; it signs chk and every URLC"},
		{Name: "URLC notification address (sent as urlc with every payment)", Value: env.CallbackURL()},
		{Name: "Block external URLC", Value: "off (or enter the URLC address above in the panel)"},
		{Name: "Return address (sent as url with every payment)", Value: env.BaseURL + getpaid.SuccessPath + "{payment id}"},
		{Name: "CHK (redirect parameter integrity)", Value: "api_version " + b.apiVersion + "; the panel may require chk"},
		{Name: "Seller API", Value: api},
		{Name: "URLC source addresses to allow in firewalls", Value: strings.Join(NotificationIPs(), ", ")},
	}
}

// MaxCallbackBytes implements getpaid.CallbackSizer: a URLC is a form of up
// to about thirty fields (under 700 bytes in the fixtures) with the
// description (up to 255 characters), control (up to 1000) and the buyer's
// details, each percent-encoded.
func (b *Broker) MaxCallbackBytes() int64 { return 32 << 10 }

// Close implements io.Closer (getpaid.Registry.Close calls it): the
// connections kept open to the broker are closed.
func (b *Broker) Close() error {
	brokerhttp.CloseIdle(b.client)
	return nil
}
